// Three `mosaic serve` proxies sharing one Redis (--redis), behind HAProxy, in front of the Gemini test
// double, all on loopback and all started and stopped here by process id: the topology of README's
// "Several proxies: shared state in Redis". Checks that the three behave, to Gemini and to users,
// like one proxy: a burst of identical queries makes one upstream call, a burst of distinct queries
// embeds each input once, the --rpm quota holds for the three together, Redis killed mid-load (and a
// Redis that hangs, SIGSTOP) loses no request and /api/health says so until it is back, and a proxy
// killed mid-load loses only the requests it held, which a retry answers. With --rate-limit, a client's
// burst spread over the three proxies is refused once the one shared bucket is empty.
//
// No timing decides a count: bursts are held at the double's call gate (/_double/hold) until every
// proxy has claimed or is waiting; the quota check uses only lower bounds the shared slots guarantee.
//
// Run by ctest with MOSAIC_CLI and MOSAIC_GEMINI_DOUBLE. redis-server and haproxy come from Debian
// (scripts/install-dependencies.sh); without them the test is skipped with a message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../support/processes.mjs';
import { freePort, haproxyBinary, redisBinary, startBalancer as startBalancerProcess, startRedis as startRedisProcess, until }
  from '../support/redis_and_balancer.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');

const missing = [!redisBinary && 'redis-server', !haproxyBinary && 'haproxy'].filter(Boolean);
const skip = missing.length > 0 ? `${missing.join(' and ')} not installed (scripts/install-dependencies.sh installs them)` : false;

// Secrets shaped like the real ones and different in every run: finding them anywhere means a leak.
const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;
const redisPassword = `redis-${randomBytes(12).toString('hex')}`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-shared-state-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const dimensions = 16;
// How long the lock of a killed proxy's fetch holds up the others: short for the test, but longer than
// a burst waits for its quota slots (a fetch waiting for its slot keeps its lock).
const lockMilliseconds = 10000;
const spacingMilliseconds = 200;  // --rpm 300

let redisPort;
const startRedis = () => startRedisProcess(redisPort, redisPassword);

async function startServe(doublePort, extra = [], rateLimit = ['--rate-limit', '0']) {
  const server = await startProcess(cli, ['serve', '--port', '0', '--gemini-base-url', `http://127.0.0.1:${doublePort}/v1beta`,
    '--cache-dir', fs.mkdtempSync(path.join(scratch, 'cache-')), ...rateLimit,
    '--redis', `redis://:${redisPassword}@127.0.0.1:${redisPort}/3`, '--redis-lock-ms', String(lockMilliseconds),
    '--rpm', String(60000 / spacingMilliseconds), '--batch-idle-ms', '0', '--batch-max-wait-ms', '0', ...extra], {
    env: { ...process.env, GEMINI_API_KEY: apiKey },
    ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\//,
  });
  server.base = `http://127.0.0.1:${server.port}`;
  return server;
}

const startBalancer = (proxies) => startBalancerProcess(proxies, scratch);

async function embed(base, texts) {
  const answer = await fetch(`${base}/api/embed`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: texts.map((text) => ({ parts: [{ text }] })), dimensions }),
  }).catch((problem) => ({ status: 0, text: async () => `${problem} (${problem.cause?.code ?? problem.cause})` }));
  const text = await answer.text();
  return { status: answer.status, text, json: answer.status === 200 ? JSON.parse(text) : undefined };
}

async function metric(server, name, labels = '') {
  const text = await fetch(`${server.base}/metrics`).then((answer) => answer.text());
  const line = text.split('\n').find((each) => each.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
const sumOf = async (servers, name, labels) => (await Promise.all(servers.map((server) => metric(server, name, labels))))
  .reduce((total, value) => total + (value ?? 0), 0);

const health = async (server) => fetch(`${server.base}/api/health`).then((answer) => answer.json());
const doubleCall = async (double, route, method = 'GET') =>
  fetch(`http://127.0.0.1:${double.port}/_double/${route}`, { method }).then((answer) => answer.json());

describe('three proxies sharing one Redis behind HAProxy', { skip }, () => {
  let redis;
  let double;
  let proxies = [];
  let balancer;
  const logs = [];

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis();
    double = await startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text'],
      { ready: /listening on 127\.0\.0\.1:(\d+)/ });
    proxies = await Promise.all([0, 1, 2].map(() => startServe(double.port)));
    balancer = await startBalancer(proxies);
    for (const proxy of proxies) {
      const state = await until(async () => { const answer = await health(proxy); return answer.redis?.available && answer; },
        'every proxy to reach Redis');
      assert.equal(state.status, 'ok');
      assert.equal(state.redis.address, `redis://127.0.0.1:${redisPort}/3`);
    }
  });

  after(async () => {
    await balancer?.stop();
    const everything = [...logs];
    for (const proxy of proxies) {
      everything.push(await fetch(`${proxy.base}/metrics`).then((answer) => answer.text()).catch(() => ''));
      everything.push(JSON.stringify(await health(proxy).catch(() => ({}))));
      // A clean exit (code 0) also means the sanitizers found nothing at shutdown.
      const { code } = await proxy.stop();
      assert.equal(code, 0, `mosaic serve exited with ${code}: ${proxy.log().slice(-2000)}`);
      everything.push(proxy.log());
    }
    await double?.stop();
    await redis?.stop();
    // Neither the API key nor the Redis password is in any log, answer, health or metrics text.
    for (const text of everything) {
      assert.ok(!text.includes(apiKey), `the API key leaked into: ${text.slice(0, 300)}`);
      assert.ok(!text.includes(redisPassword), `the Redis password leaked into: ${text.slice(0, 300)}`);
    }
  });

  it('a burst of one query through the balancer makes one upstream call, answered to all', async () => {
    await doubleCall(double, 'reset', 'POST');
    await doubleCall(double, 'hold', 'POST');
    const waitedBefore = await sumOf(proxies, 'mosaic_shared_cache_inputs_total', '{outcome="waited"}');
    const text = `one question for everyone ${randomBytes(4).toString('hex')}`;
    const answers = Promise.all(Array.from({ length: 30 }, () => embed(balancer.base, [text])));
    // Held at the gate: one proxy fetches, the other two wait on its lock (each once: identical
    // requests inside one proxy join its own flight).
    await until(async () => (await doubleCall(double, 'stats')).held_calls === 1 &&
      (await sumOf(proxies, 'mosaic_shared_cache_inputs_total', '{outcome="waited"}')) - waitedBefore === 2,
    'one held call and two proxies waiting for it');
    await doubleCall(double, 'release', 'POST');
    const results = await answers;
    logs.push(...results.map((result) => result.text));
    for (const result of results) assert.equal(result.status, 200, result.text);
    assert.equal(new Set(results.map((result) => JSON.stringify(result.json.embeddings))).size, 1);
    const stats = await doubleCall(double, 'stats');
    assert.equal(stats.calls, 1);
    assert.equal(stats.embedded_inputs, 1);
  });

  it('a burst of distinct queries embeds each input once, as one proxy would', async () => {
    await doubleCall(double, 'reset', 'POST');
    const tag = randomBytes(4).toString('hex');
    const texts = Array.from({ length: 20 }, (_, index) => `distinct question ${index} ${tag}`);
    // Each text three times, through the balancer, all at once: which proxy gets which is the
    // balancer's business; Gemini must see each input once.
    const results = await Promise.all([...texts, ...texts, ...texts].map((text) => embed(balancer.base, [text])));
    logs.push(...results.map((result) => result.text));
    for (const result of results) assert.equal(result.status, 200, result.text);
    const byText = new Map();
    [...texts, ...texts, ...texts].forEach((text, index) => {
      const vector = JSON.stringify(results[index].json.embeddings[0]);
      if (byText.has(text)) assert.equal(byText.get(text), vector, `one text, two vectors: ${text}`);
      byText.set(text, vector);
    });
    const stats = await doubleCall(double, 'stats');
    assert.equal(stats.embedded_inputs, texts.length);
    // Asked again: every proxy answers from Redis or its own cache, Gemini sees nothing.
    await Promise.all(proxies.map((proxy) => embed(proxy.base, texts.slice(0, 5))));
    assert.equal((await doubleCall(double, 'stats')).embedded_inputs, texts.length);
  });

  it('a client\'s rate limit is one bucket for the three proxies: its burst is spent once', async () => {
    // Three more proxies with a per-client limit (a token a second, burst 12) behind a balancer of
    // their own. Every request reaches them from HAProxy's address, so all of this burst is one
    // client's. Alone, each proxy would let 12 through (36 of 45); sharing the bucket, 12 go through,
    // plus at most the tokens that came back while the burst ran (one a second).
    const limited = await Promise.all([0, 1, 2].map(() => startServe(double.port, [], ['--rate-limit', '1', '--rate-burst', '12'])));
    const front = await startBalancer(limited);
    try {
      for (const proxy of limited) {
        await until(async () => (await health(proxy)).redis?.available, 'every rate-limited proxy to reach Redis');
      }
      // The health checks spend no tokens (only /api/embed and /v1beta are limited); neither did the
      // wait above. A burst of 45, all at once, of one text: after the first, every answer is a cache hit.
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 45 }, async () => {
        const answer = await fetch(`${front.base}/api/embed`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: ['rate limited question'], dimensions }),
        });
        return { status: answer.status, retryAfter: answer.headers.get('retry-after'), text: await answer.text() };
      }));
      const seconds = (Date.now() - started) / 1000;
      logs.push(...results.map((result) => result.text));
      const allowed = results.filter((result) => result.status === 200).length;
      const refused = results.filter((result) => result.status === 429);
      assert.equal(allowed + refused.length, 45, results.map((result) => `${result.status} ${result.text}`).join('\n'));
      assert.ok(allowed >= 12 && allowed <= 12 + Math.ceil(seconds), `${allowed} allowed in ${seconds} s`);
      for (const result of refused) {
        assert.equal(result.retryAfter, '1');
        assert.match(JSON.parse(result.text).error.message, /too many embedding requests/);
      }
      // Every proxy decided in Redis, each saw part of the burst, and each refused some of it.
      const decided = await Promise.all(limited.map((proxy) => metric(proxy, 'mosaic_client_rate_decisions_total', '{bucket="shared"}')));
      assert.equal(decided.reduce((total, value) => total + value, 0), 45);
      for (const count of decided) assert.ok(count >= 10, `decisions per proxy: ${decided.join(', ')}`);
      assert.equal(await sumOf(limited, 'mosaic_client_rate_decisions_total', '{bucket="local"}'), 0);
      // The bucket refills for all three: after the Retry-After, the client may go on.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await embed(front.base, ['rate limited question'])).status, 200);
    } finally {
      await front.stop();
      for (const proxy of limited) {
        const { code } = await proxy.stop();
        assert.equal(code, 0, `mosaic serve exited with ${code}: ${proxy.log().slice(-2000)}`);
        logs.push(proxy.log());
      }
    }
  });

  it('the --rpm quota holds for the three proxies together', async () => {
    await doubleCall(double, 'reset', 'POST');
    const tag = randomBytes(4).toString('hex');
    // Four calls from each proxy, one after another, the three proxies at once: twelve calls. Alone,
    // each proxy would space its own four; together they take twelve slots of the one quota.
    await Promise.all(proxies.map(async (proxy, proxyIndex) => {
      for (let call = 0; call < 4; ++call) {
        const result = await embed(proxy.base, [`quota question ${proxyIndex} ${call} ${tag}`]);
        assert.equal(result.status, 200, result.text);
      }
    }));
    const stats = await doubleCall(double, 'stats');
    assert.equal(stats.calls, 12);
    const times = stats.recent_call_times_ms.slice(-12).sort((left, right) => left - right);
    // Slot k leaves no earlier than first slot + k spacings, and a call arrives at the double no
    // earlier than its slot: sorted arrival times keep the spacing, less how late the earlier call
    // was (its timer and the loopback on a shared, maybe sanitized machine: given generously, and
    // checked over three or more spacings, where three proxies pacing alone would fall far short).
    const slack = 150;
    for (let later = 3; later < times.length; ++later) {
      for (let earlier = 0; earlier + 3 <= later; ++earlier) {
        assert.ok(times[later] - times[earlier] >= (later - earlier) * spacingMilliseconds - slack,
          `calls ${earlier} and ${later} came ${times[later] - times[earlier]} ms apart: ${times.join(', ')}`);
      }
    }
    assert.ok(await sumOf(proxies, 'mosaic_upstream_slots_total', '{quota="shared"}') >= 12);
  });

  it('Redis killed or hung mid-load loses no request; health says degraded until it is back', async () => {
    const tag = randomBytes(4).toString('hex');
    let answered = 0;
    const failures = [];
    let stop = false;
    let counter = 0;
    // Eight clients through the balancer, each query new (so every request needs Redis or Gemini).
    const load = Promise.all(Array.from({ length: 8 }, async () => {
      while (!stop) {
        const result = await embed(balancer.base, [`load question ${counter++} ${tag}`]);
        if (result.status === 200 && result.json.embeddings[0].length === dimensions) ++answered;
        else failures.push(result.text);
      }
    }));
    const answeredAtLeast = (count, what) => until(() => answered >= count, what);
    try {
      await answeredAtLeast(20, 'load before Redis goes');
      await redis.stop('SIGKILL');
      await until(async () => (await Promise.all(proxies.map(health))).every((state) => state.status === 'degraded'),
        'every proxy to report Redis away');
      const state = await health(proxies[0]);
      assert.equal(state.redis.available, false);
      assert.match(state.redis.note, /local cache/);
      assert.equal(await metric(proxies[0], 'mosaic_redis_available'), 0);
      const whileDown = answered;
      await answeredAtLeast(whileDown + 20, 'answers while Redis is down');
      redis = await startRedis();
      await until(async () => (await Promise.all(proxies.map(health))).every((each) => each.status === 'ok'),
        'every proxy to reach Redis again');
      const storedBefore = await sumOf(proxies, 'mosaic_shared_cache_stores_total', '{result="stored"}');
      await answeredAtLeast(answered + 20, 'answers after Redis is back');
      assert.ok(await sumOf(proxies, 'mosaic_shared_cache_stores_total', '{result="stored"}') > storedBefore,
        'vectors are shared again after Redis returned');
      // A Redis that hangs (stopped, its socket open): commands time out and the proxies go on alone.
      redis.child.kill('SIGSTOP');
      await until(async () => (await Promise.all(proxies.map(health))).every((each) => each.status === 'degraded'),
        'every proxy to report a hung Redis');
      await answeredAtLeast(answered + 20, 'answers while Redis hangs');
      redis.child.kill('SIGCONT');
      await until(async () => (await Promise.all(proxies.map(health))).every((each) => each.status === 'ok'),
        'every proxy to recover from the hang');
    } finally {
      stop = true;
      await load;
    }
    assert.deepEqual(failures, []);
    assert.ok(await sumOf(proxies, 'mosaic_shared_cache_inputs_total', '{outcome="fallback"}') > 0);
  });

  it('a proxy killed mid-load loses only the requests it held, and a retry answers them', async () => {
    await doubleCall(double, 'reset', 'POST');
    await doubleCall(double, 'hold', 'POST');
    const tag = randomBytes(4).toString('hex');
    const texts = Array.from({ length: 9 }, (_, index) => `last question ${index} ${tag}`);
    const fetchedBefore = await Promise.all(proxies.map((proxy) => metric(proxy, 'mosaic_shared_cache_inputs_total', '{outcome="fetched"}')));
    const answers = Promise.all(texts.map((text) => embed(balancer.base, [text])));
    // Every input claimed by the proxy that got it, its call held at the gate.
    await until(async () => (await sumOf(proxies, 'mosaic_shared_cache_inputs_total', '{outcome="fetched"}')) -
      fetchedBefore.reduce((total, value) => total + value, 0) === texts.length, 'every request to reach a proxy');
    const victim = proxies[2];
    const held = (await metric(victim, 'mosaic_shared_cache_inputs_total', '{outcome="fetched"}')) - fetchedBefore[2];
    assert.ok(held > 0, 'the balancer gave the third proxy some requests');
    await victim.stop('SIGKILL');
    await doubleCall(double, 'release', 'POST');
    const results = await answers;
    logs.push(...results.map((result) => result.text));
    const lost = results.filter((result) => result.status !== 200);
    assert.equal(lost.length, held, `lost ${lost.length}, the killed proxy held ${held}`);
    // HAProxy answers a request whose proxy died under it with 502, or closes the client's connection
    // (Debian's 2.6 does the latter for a server reset mid-request): either way the client knows.
    for (const result of lost) {
      assert.ok(result.status === 502 || (result.status === 0 && result.text.includes('UND_ERR_SOCKET')), result.text);
    }
    // The retries go to the two proxies left (the balancer saw the third go); the dead proxy's locks
    // expire after --redis-lock-ms, and its inputs are fetched again.
    const retries = await Promise.all(texts.filter((_, index) => results[index].status !== 200).map((text) => embed(balancer.base, [text])));
    for (const result of retries) assert.equal(result.status, 200, result.text);
    logs.push(victim.log());
    proxies = proxies.slice(0, 2);
  });
});
