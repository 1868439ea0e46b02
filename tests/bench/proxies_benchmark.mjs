// The several-proxies benchmark (make bench; issue 17): cache-hit throughput and latency of one, two
// and three `mosaic serve --redis` proxies behind HAProxy sharing one redis-server, next to the single
// proxy with its local cache, loaded by wrk (64 connections, tests/bench/wrk_driver.mjs) with the
// gemini provider in front of the test double. Debian's redis-server and HAProxy are started as the
// loopback test starts them (tests/support/redis_and_balancer.mjs). Targets:
//   local, direct          one proxy, no Redis, wrk straight at it (serve_benchmark's "embed hit")
//   local, HAProxy         the same proxy behind HAProxy: what the balancer's hop costs
//   Redis, 1|2|3 proxies   N proxies with --redis behind HAProxy (round robin)
//   Redis, 3, shared limit the three with the per-client rate limit on (--rate-limit and --rate-burst
//                          1,000,000: never refusing, but every request asks Redis for its token)
// Scenarios on each: "hit" (one text, the popular query) and "hit, 5,000 texts" (spread over 5,000
// cached texts). Every proxy is warmed with all of them first (through Redis for the proxies that did
// not fetch them), so the runs measure hits in each proxy's own cache: what the shared cache saves is
// upstream calls, which the loopback test counts; a hit costs the same on every proxy.
// Everything (wrk, HAProxy, the proxies, Redis, the double) shares this machine's cores: on 2 cores
// more proxies cannot add throughput, so the figures show the cost of the topology, not its scaling.
// Usage: node tests/bench/proxies_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY [--seconds N] [--output FILE]
//   --output  default build/bench/proxies-results.json
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../support/processes.mjs';
import { freePort, haproxyBinary, redisBinary, startBalancer, startRedis, until } from '../support/redis_and_balancer.mjs';
import { wrkDriver } from './wrk_driver.mjs';

const [mosaicBinary, doubleBinary] = process.argv.slice(2);
const option = (name) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const seconds = Number(option('--seconds') ?? 10);
if (!mosaicBinary || !doubleBinary) {
  throw new Error('usage: proxies_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY [--seconds N] [--output FILE]');
}
if (!redisBinary || !haproxyBinary) throw new Error('redis-server and haproxy are missing: scripts/install-dependencies.sh installs them');
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
fs.mkdirSync(benchDirectory, { recursive: true });
const outputFile = path.resolve(option('--output') ?? path.join(benchDirectory, 'proxies-results.json'));

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-proxies-bench-'));
const apiKey = `bench-${randomBytes(8).toString('hex')}`;
const redisPassword = `bench-${randomBytes(8).toString('hex')}`;
const connections = 64;
const { writeScript, runWrk } = wrkDriver({ scratch, seconds, connections, name: 'proxies benchmark' });

const hitBody = JSON.stringify({ inputs: ['a red bicycle leaning against a brick wall'], dimensions: 768 });
const cycleCount = 5000;
const hitScript = writeScript('hit', { method: 'POST', body: hitBody });
const cycleScript = writeScript('hit-cycle', { method: 'POST',
  cycle: { count: cycleCount, format: '{"inputs":["a cached query number %d"],"dimensions":768}' } });

async function post(base, body) {
  const answer = await fetch(`${base}/api/embed`, { method: 'POST', body });
  if (answer.status !== 200) throw new Error(`warming ${base} failed: ${answer.status} ${await answer.text()}`);
}

// The popular text and the 5,000 (100 per request) into one proxy's own cache.
async function warm(base) {
  await post(base, hitBody);
  for (let first = 0; first < cycleCount; first += 100) {
    const inputs = Array.from({ length: 100 }, (_, offset) => `a cached query number ${first + offset}`);
    await post(base, JSON.stringify({ inputs, dimensions: 768 }));
  }
}

const processes = [];
const balancers = [];
async function startServe(extra) {
  const server = await startProcess(mosaicBinary, ['serve', '--port', '0',
    '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--cache-dir', fs.mkdtempSync(path.join(scratch, 'cache-')),
    ...extra], { env: { ...process.env, GEMINI_API_KEY: apiKey }, ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
  server.base = `http://127.0.0.1:${server.port}`;
  processes.push(server);
  return server;
}

const double = await startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text'],
  { ready: /listening on 127\.0\.0\.1:(\d+)/ });
processes.push(double);
const redisPort = await freePort();
const redis = await startRedis(redisPort, redisPassword);
processes.push(redis);
const redisUrl = `redis://:${redisPassword}@127.0.0.1:${redisPort}/0`;
const results = [];
let upstreamCalls;
try {
  const local = await startServe(['--rate-limit', '0']);
  const shared = await Promise.all([0, 1, 2].map(() => startServe(['--rate-limit', '0', '--redis', redisUrl])));
  const limited = await Promise.all([0, 1, 2].map(() =>
    startServe(['--rate-limit', '1000000', '--rate-burst', '1000000', '--redis', redisUrl])));
  for (const proxy of [...shared, ...limited]) {
    await until(async () => (await (await fetch(`${proxy.base}/api/health`)).json()).redis?.available, 'every proxy to reach Redis');
  }
  // The first proxy fetches from the double and fills Redis; the others take the vectors from Redis.
  for (const proxy of [local, ...shared, ...limited]) await warm(proxy.base);

  const targets = [{ label: 'local, direct', base: local.base }];
  const behind = async (label, proxies) => {
    const balancer = await startBalancer(proxies, scratch);
    balancers.push(balancer);
    targets.push({ label, base: balancer.base, proxies: proxies.length });
  };
  await behind('local, HAProxy', [local]);
  await behind('Redis, 1 proxy', shared.slice(0, 1));
  await behind('Redis, 2 proxies', shared.slice(0, 2));
  await behind('Redis, 3 proxies', shared);
  await behind('Redis, 3, shared limit', limited);
  const decisionsBefore = await sharedDecisions(limited);
  for (const target of targets) {
    for (const [scenario, script] of [['hit', hitScript], ['hit, 5,000 texts', cycleScript]]) {
      const result = runWrk(`${target.label}: ${scenario}`, `${target.base}/api/embed`, script);
      if (result.non_2xx > 0 || result.socket_errors) {
        throw new Error(`${result.label}: ${result.non_2xx} non-2xx answers, socket errors: ${result.socket_errors}`);
      }
      results.push({ ...result, target: target.label, scenario });
      console.error(`  ${result.requests_per_second.toFixed(0)} req/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms`);
    }
  }
  // The shared-limit rows did ask Redis for every request's token.
  const decided = (await sharedDecisions(limited)) - decisionsBefore;
  results.filter((result) => result.target === 'Redis, 3, shared limit')
    .forEach((result) => { result.shared_limit_decisions_in_target = decided; });
  upstreamCalls = (await (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json()).calls;
} finally {
  for (const balancer of balancers) await balancer.stop();
  for (const child of processes.reverse()) await child.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}

async function sharedDecisions(proxies) {
  let total = 0;
  for (const proxy of proxies) {
    // Tried twice: a kept-alive connection idle through the runs may have been closed by the proxy
    // (--read-timeout) just as it is reused.
    const scrape = () => fetch(`${proxy.base}/metrics`).then((answer) => answer.text());
    const text = await scrape().catch(scrape);
    const line = text.split('\n').find((each) => each.startsWith('mosaic_client_rate_decisions_total{bucket="shared"} '));
    total += line ? Number(line.split(' ').pop()) : 0;
  }
  return total;
}

const find = (target, scenario) => results.find((result) => result.target === target && result.scenario === scenario);
const summary = {
  benchmark: 'mosaic serve cache hits: one proxy with its local cache, and 1-3 proxies sharing Redis behind HAProxy; wrk -t2 -c64',
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, date: new Date().toISOString(), seconds_per_run: seconds,
             load_average: os.loadavg(),
             note: 'wrk, HAProxy, every proxy, redis-server and the double share these cores' },
  binaries: { mosaic: path.resolve(mosaicBinary), double: path.resolve(doubleBinary) },
  upstream_calls_while_warming: upstreamCalls,
  results,
  ratios_to_local_direct: Object.fromEntries(results.map((result) => {
    const base = find('local, direct', result.scenario);
    return [result.label, { throughput: result.requests_per_second / base.requests_per_second, p99: result.p99_ms / base.p99_ms }];
  })),
};
fs.writeFileSync(outputFile, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`mosaic serve cache hits, one and several proxies (${connections} connections, ${seconds} s each) on ` +
            `${summary.machine.cores} cores shared by everything`);
for (const result of results) {
  const ratio = summary.ratios_to_local_direct[result.label];
  console.log(`  ${result.label.padEnd(42)} ${result.requests_per_second.toFixed(0).padStart(7)} req/s  ` +
              `p50 ${result.p50_ms.toFixed(2)} ms  p99 ${result.p99_ms.toFixed(2)} ms  ` +
              `(${ratio.throughput.toFixed(2)}x throughput, ${ratio.p99.toFixed(2)}x p99 of local, direct)`);
}
console.log(`  upstream calls while warming ${1 + 6} proxies with ${cycleCount + 1} texts: ${upstreamCalls}`);
console.log(`results written to ${path.relative(process.cwd(), outputFile)}`);
