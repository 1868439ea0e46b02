// mosaic serve as a Gemini proxy, over loopback, against the test double of Google's API
// (tests/gemini_double): provider choice, text/image/audio queries by meaning, coalescing, the
// embedding cache across restarts, every fault mode, input validation before any upstream call, the
// /v1beta pass-through driven by Google's own SDK (@google/genai), the rate limit, CORS, /metrics,
// and that the API key never appears in any answer or in the log.
//
// Run by ctest with MOSAIC_CLI, MOSAIC_GEMINI_DOUBLE, MOSAIC_MODEL_DIR (the double embeds text with
// the local model) and MOSAIC_TEST_NODE_PREFIX (npm packages for tests: scripts/install-test-packages.sh).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makePng, makeWav, pngChunk, pngSignature } from '../support/media_fixtures.mjs';
import { startProcess } from '../support/processes.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
const modelDirectory = process.env.MOSAIC_MODEL_DIR;
const testPackages = process.env.MOSAIC_TEST_NODE_PREFIX;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');
assert.ok(modelDirectory && fs.existsSync(modelDirectory), 'MOSAIC_MODEL_DIR must point at the local model (make model)');

// A key shaped like Google's, different in every run, so finding it anywhere means it leaked.
const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;
const model = 'gemini-embedding-2';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-proxy-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// Everything any server answered or logged, checked for the key at the end of each test.
const seen = [];

function startDouble(extra = [], { meaning = false, key = apiKey } = {}) {
  const text = meaning ? ['--model-dir', modelDirectory] : ['--hash-text'];
  return startProcess(doubleBinary, ['--port', '0', '--api-key', key, ...text, ...extra], { ready: /listening on 127\.0\.0\.1:(\d+)/ });
}

let cacheCounter = 0;
const freshCacheDirectory = () => fs.mkdtempSync(path.join(scratch, `cache-${cacheCounter++}-`));

async function startServe(double, extra = [], { cacheDirectory = freshCacheDirectory(), env = {} } = {}) {
  const server = await startProcess(cli, ['serve', '--port', '0', '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`,
    '--cache-dir', cacheDirectory, '--rate-limit', '0', ...extra], {
    env: { ...process.env, GEMINI_API_KEY: apiKey, ...env },
    ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\//,
  });
  server.base = `http://127.0.0.1:${server.port}`;
  server.cacheDirectory = cacheDirectory;
  return server;
}

// Stops a server, and checks that the key is in nothing it said: its whole log and every answer.
async function stopAndCheck(server) {
  const metrics = await fetch(`${server.base}/metrics`).then((answer) => answer.text()).catch(() => '');
  const { code } = await server.stop();
  assert.equal(code, 0, `mosaic serve exited with ${code}: ${server.log()}`);
  for (const text of [server.log(), metrics, ...seen]) {
    assert.ok(!text.includes(apiKey), `the API key leaked into: ${text.slice(0, 300)}`);
    assert.ok(!text.includes(apiKey.slice(6, 26)), 'part of the API key leaked');
  }
  seen.length = 0;
}

// A call whose answer (status line, headers, body) is remembered for the key check.
async function call(server, route, { method = 'POST', body, headers = {} } = {}) {
  const answer = await fetch(`${server.base}${route}`, {
    method, headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await answer.text();
  seen.push(`${answer.status} ${JSON.stringify([...answer.headers])} ${text}`);
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: answer.status, headers: answer.headers, text, json };
}

// Concurrent requests as 1,000 clients make them: each client is connected first (as a browser
// with a keep-alive connection is), then every request is written at once, so the requests are
// truly concurrent rather than paced by how fast this one process can run fetch(). Answers are read
// off the raw sockets (Content-Length framing).
async function concurrentPosts(port, route, bodies) {
  const sockets = await Promise.all(bodies.map(() => new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  })));
  const answers = sockets.map((socket) => new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const headerEnd = received.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = received.subarray(0, headerEnd).toString('latin1');
      const length = Number((/content-length: *(\d+)/i.exec(head) || [])[1]);
      if (received.length < headerEnd + 4 + length) return;
      const text = received.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      seen.push(`${head} ${text}`);
      socket.destroy();
      resolve({ status: Number(head.slice(9, 12)), text, json: JSON.parse(text) });
    });
    socket.on('error', reject);
  }));
  for (const [index, socket] of sockets.entries()) {
    socket.write(`POST ${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
                 `Content-Length: ${Buffer.byteLength(bodies[index])}\r\n\r\n${bodies[index]}`);
  }
  return Promise.all(answers);
}

const embed = (server, inputs, extra = {}) => call(server, '/api/embed', { body: { inputs, ...extra } });
const textInput = (text) => ({ parts: [{ text }] });
const mediaPart = (mimeType, bytes) => ({ mime_type: mimeType, data: Buffer.from(bytes).toString('base64') });
const doubleStats = async (double) => (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json();
const metricsText = async (server) => (await fetch(`${server.base}/metrics`)).text();
// The coalescer's queue depth from /metrics (undefined when the gauge is missing).
const queuedInputs = (metrics) => {
  const found = /^mosaic_upstream_queued_inputs (\d+)$/m.exec(metrics);
  return found ? Number(found[1]) : undefined;
};

// Polls until `check` holds. The limit only turns a hang into a failure with a message; no outcome
// depends on how quickly the condition comes true.
async function waitFor(check, what, limitMs = 120_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const dot = (a, b) => a.reduce((sum, value, index) => sum + value * b[index], 0);

function assertUnitVectors(answer, count, dimensions) {
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.embeddings.length, count);
  for (const vector of answer.json.embeddings) {
    assert.equal(vector.length, dimensions);
    assert.ok(Math.abs(Math.sqrt(dot(vector, vector)) - 1) < 1e-4);
  }
}

function assertError(answer, status, code, pattern) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error?.code, code, answer.text);
  if (pattern) assert.match(answer.json.error.message, pattern);
}

describe('mosaic serve with the gemini provider', () => {
  it('names the provider on its first log line and finds images and recordings by what a text means', async () => {
    const double = await startDouble([], { meaning: true });
    const server = await startServe(double);
    try {
      assert.match(server.log().split('\n')[0], /^mosaic serve: provider gemini, model gemini-embedding-2$/);
      const health = await call(server, '/api/health', { method: 'GET' });
      assert.deepEqual(health.json.provider, { name: 'gemini', model, dimensions: 3072 });
      const bicycle = makePng({ description: 'a red bicycle leaning against a brick wall', gray: 40 });
      const soup = makePng({ description: 'a steaming bowl of tomato soup with basil', gray: 200 });
      const barking = makeWav({ comment: 'a dog barking loudly at the mail carrier', seed: 3 });
      const rain = makeWav({ comment: 'gentle rain falling on a tin roof', seed: 5 });
      const answer = await embed(server, [
        textInput('a bike parked by a wall'),
        { parts: [mediaPart('image/png', bicycle)] },
        { parts: [mediaPart('image/png', soup)] },
        { parts: [mediaPart('audio/wav', barking)] },
        { parts: [mediaPart('audio/wav', rain)] },
        textInput('a noisy dog'),
      ], { dimensions: 768 });
      assertUnitVectors(answer, 6, 768);
      const [bike, bicycleImage, soupImage, barkingAudio, rainAudio, dog] = answer.json.embeddings;
      assert.ok(dot(bike, bicycleImage) > dot(bike, soupImage) + 0.1, 'a text query finds the matching image');
      assert.ok(dot(dog, barkingAudio) > dot(dog, rainAudio) + 0.1, 'a text query finds the matching recording');
      // An image as the query: the picture of soup is closer to a soup text than to a cheetah text.
      const documents = await embed(server, [textInput('tomato soup served hot'), textInput('a cheetah sprinting')],
                                    { dimensions: 768, task: 'document' });
      assertUnitVectors(documents, 2, 768);
      assert.ok(dot(soupImage, documents.json.embeddings[0]) > dot(soupImage, documents.json.embeddings[1]) + 0.1);
      // One input with a text and an image gives one fused vector.
      const fused = await embed(server, [{ parts: [{ text: 'a red bicycle' }, mediaPart('image/png', bicycle)] }], { dimensions: 128 });
      assertUnitVectors(fused, 1, 128);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('sends 1,000 concurrent single-text requests queued behind full call slots in exactly 10 upstream calls of 100', async () => {
    // No timing decides the count. The double holds every answer (--hold-calls) until the test
    // releases them. First, four requests of 100 inputs each (each a full batch, which leaves at
    // once) take all four call slots of the coalescer and stay out. Then 1,000 single-text requests
    // are sent at once; with no slot free none can leave, whatever the coalescing windows say, and
    // /metrics shows them queued. Only when all 1,000 are in the queue are the answers released:
    // each freed slot then takes a full batch of 100, so the 1,000 leave in exactly 10 calls.
    // Defaults throughout (10 ms idle gap, 200 ms longest wait, 4 calls in flight), sanitizer or not.
    const double = await startDouble(['--hold-calls']);
    const server = await startServe(double);
    try {
      const fillers = Array.from({ length: 4 }, (_, filler) =>
        embed(server, Array.from({ length: 100 }, (_, index) => textInput(`filler ${filler} input ${index}`)), { dimensions: 128 }));
      await waitFor(async () => (await doubleStats(double)).held_calls === 4, 'the four filler calls held at the double');
      const bodies = Array.from({ length: 1000 }, (_, index) =>
        JSON.stringify({ inputs: [textInput(`concurrent request number ${index}`)], dimensions: 128 }));
      const answersPromise = concurrentPosts(server.port, '/api/embed', bodies);
      await waitFor(async () => queuedInputs(await metricsText(server)) === 1000, 'all 1,000 requests queued in the coalescer');
      let stats = await doubleStats(double);
      assert.equal(stats.calls, 4, 'nothing left while every call slot was taken');
      assert.equal(stats.held_calls, 4);

      const released = await fetch(`http://127.0.0.1:${double.port}/_double/release`, { method: 'POST' }).then((answer) => answer.json());
      assert.equal(released.released_calls, 4);
      for (const filler of await Promise.all(fillers)) assertUnitVectors(filler, 100, 128);
      const answers = await answersPromise;
      for (const answer of answers) assertUnitVectors(answer, 1, 128);
      // Different texts got different vectors, each its own.
      assert.notDeepEqual(answers[0].json.embeddings[0], answers[1].json.embeddings[0]);

      stats = await doubleStats(double);
      console.log(`# 1,000 concurrent requests behind 4 held calls: ${stats.calls - 4} upstream calls (batch sizes ${stats.last_batch_sizes.slice(4)})`);
      assert.equal(stats.calls, 14, `the 1,000 took ${stats.calls - 4} calls: ${stats.last_batch_sizes}`);
      assert.deepEqual(stats.last_batch_sizes, Array(14).fill(100));
      assert.equal(stats.embedded_inputs, 1400);
      assert.equal(stats.held_calls, 0);
      const metrics = await metricsText(server);
      assert.match(metrics, /^mosaic_upstream_calls_total 14$/m);
      assert.match(metrics, /^mosaic_upstream_inputs_total 1400$/m);
      assert.equal(queuedInputs(metrics), 0);
      assert.match(metrics, /^mosaic_http_requests_total\{route="\/api\/embed",status="200"\} 1004$/m);
      assert.match(metrics, /^mosaic_http_request_duration_seconds_bucket\{route="\/api\/embed",le="\+Inf"\} 1004$/m);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('keeps every upstream call within the 20 MB request cap when many multi-MB recordings arrive at once', async () => {
    const double = await startDouble();
    const server = await startServe(double);
    try {
      // 16 recordings of 20 to 35 s of 44.1 kHz stereo: 3.5 to 6.2 MB each, 4.7 to 8.2 MB once
      // base64-encoded, 99 MB in all. Packed by count alone they would make one call of 99 MB, which
      // the double (like Google) refuses whole, failing every caller in it.
      const recordings = Array.from({ length: 16 }, (_, index) =>
        makeWav({ seconds: 20 + index, sampleRate: 44_100, channels: 2, seed: index + 2 }));
      const bodies = recordings.map((wav) => JSON.stringify({ inputs: [{ parts: [mediaPart('audio/wav', wav)] }], dimensions: 256 }));
      const answers = await concurrentPosts(server.port, '/api/embed', bodies);
      for (const answer of answers) assertUnitVectors(answer, 1, 256);
      assert.notDeepEqual(answers[0].json.embeddings[0], answers[1].json.embeddings[0]);
      const stats = await doubleStats(double);
      assert.equal(stats.rejected_calls, 0, 'no call was refused');
      assert.equal(stats.embedded_inputs, 16);
      assert.ok(stats.largest_body_bytes <= 20 * 1024 * 1024, `a call of ${stats.largest_body_bytes} bytes`);
      const encoded = recordings.reduce((sum, wav) => sum + Math.ceil(wav.length / 3) * 4, 0);
      assert.ok(stats.batch_calls >= Math.ceil(encoded / (20 * 1024 * 1024)), `${stats.batch_calls} calls`);
      console.log(`# 16 concurrent recordings (${(encoded / 1048576).toFixed(1)} MiB encoded): ${stats.batch_calls} upstream calls, ` +
                  `largest body ${(stats.largest_body_bytes / 1048576).toFixed(2)} MiB, batch sizes ${stats.last_batch_sizes}`);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('answers a repeat from its cache, also after a restart, and rebuilds a damaged cache file', async () => {
    const double = await startDouble();
    const cacheDirectory = freshCacheDirectory();
    let server = await startServe(double, [], { cacheDirectory });
    let first;
    try {
      first = await embed(server, [textInput('cache me once')], { dimensions: 256 });
      assertUnitVectors(first, 1, 256);
      const again = await embed(server, [textInput('cache me once')], { dimensions: 256 });
      assert.deepEqual(again.json.embeddings, first.json.embeddings);
      assert.equal((await doubleStats(double)).calls, 1, 'the repeat made no upstream call');
      // The repeat's vector text came from the memo, byte for byte the first answer's.
      assert.equal(again.text, first.text);
      assert.match(await (await fetch(`${server.base}/metrics`)).text(), /^mosaic_vector_text_memo_hits_total [1-9]/m);
      // Another size of the same text is another question.
      assertUnitVectors(await embed(server, [textInput('cache me once')], { dimensions: 128 }), 1, 128);
      assert.equal((await doubleStats(double)).calls, 2);
    } finally {
      await stopAndCheck(server);
    }
    server = await startServe(double, [], { cacheDirectory });
    try {
      const afterRestart = await embed(server, [textInput('cache me once')], { dimensions: 256 });
      assert.deepEqual(afterRestart.json.embeddings, first.json.embeddings);
      assert.equal((await doubleStats(double)).calls, 2, 'the restarted server answered from its file');
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      assert.match(metrics, /^mosaic_cache_hits_total [1-9]/m);
    } finally {
      await stopAndCheck(server);
    }
    // Damage every cache file: flip bytes in the middle and cut the end.
    for (const name of fs.readdirSync(cacheDirectory)) {
      const file = path.join(cacheDirectory, name);
      const bytes = fs.readFileSync(file);
      if (bytes.length < 64) continue;
      for (let offset = 40; offset < bytes.length; offset += 97) bytes[offset] ^= 0x5a;
      fs.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    }
    server = await startServe(double, [], { cacheDirectory });
    try {
      const rebuilt = await embed(server, [textInput('cache me once')], { dimensions: 256 });
      assertUnitVectors(rebuilt, 1, 256);
      for (let index = 0; index < 256; index++) assert.ok(Math.abs(rebuilt.json.embeddings[0][index] - first.json.embeddings[0][index]) < 1e-6);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('retries 429 with Retry-After and dropped connections until the answer comes', async () => {
    const double = await startDouble(['--fail-429-every', '2', '--retry-after', '1', '--drop-every', '3']);
    const server = await startServe(double, ['--upstream-initial-delay-ms', '50']);
    try {
      const started = Date.now();
      for (let index = 0; index < 4; index++) {
        assertUnitVectors(await embed(server, [textInput(`retry me ${index}`)], { dimensions: 128 }), 1, 128);
      }
      assert.ok(Date.now() - started >= 1000, 'Retry-After: 1 was honoured');
      const stats = await doubleStats(double);
      assert.ok(stats.injected_faults >= 2, JSON.stringify(stats));
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      assert.match(metrics, /^mosaic_upstream_retries_total [1-9]/m);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('answers 503 with Retry-After when retries are exhausted, and nothing hangs', async () => {
    const failing = await startDouble(['--fail-500-every', '1']);
    const slow = await startDouble(['--latency-ms', '5000']);
    const limited = await startDouble(['--rpm', '1', '--retry-after', '30']);
    const fast = ['--upstream-attempts', '3', '--upstream-initial-delay-ms', '20'];
    const servers = [
      await startServe(failing, fast),
      await startServe(slow, [...fast, '--upstream-timeout-ms', '400']),
      await startServe(limited, fast),
    ];
    try {
      for (const server of servers) {
        if (server === servers[2]) assertUnitVectors(await embed(server, [textInput('the only call this minute')], { dimensions: 128 }), 1, 128);
        const started = Date.now();
        const answer = await embed(server, [textInput('this will not work')], { dimensions: 128 });
        assertError(answer, 503, 'upstream_unavailable');
        assert.ok(Number(answer.headers.get('retry-after')) >= 1, `Retry-After: ${answer.headers.get('retry-after')}`);
        assert.ok(Date.now() - started < 10000, `answered after ${Date.now() - started} ms`);
      }
    } finally {
      for (const server of servers) await stopAndCheck(server);
      for (const double of [failing, slow, limited]) await double.stop();
    }
  });

  it('passes a refused key back as 502 without the key, and an unreachable upstream as 503', async () => {
    const double = await startDouble([], { key: 'a-different-key-the-proxy-does-not-have' });
    const refused = await startServe(double);
    const closedPort = await new Promise((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address();
        probe.close(() => resolve(port));
      });
    });
    const unreachable = await startServe({ port: closedPort }, ['--upstream-attempts', '2', '--upstream-initial-delay-ms', '20']);
    try {
      const answer = await embed(refused, [textInput('hello')]);
      assertError(answer, 502, 'upstream_rejected', /API key/i);
      assert.equal((await doubleStats(double)).calls, 1, 'a refused key is not retried');
      assertError(await embed(unreachable, [textInput('hello')]), 503, 'upstream_unavailable');
    } finally {
      await stopAndCheck(refused);
      await stopAndCheck(unreachable);
      await double.stop();
    }
  });

  it('refuses every bad input with its 4xx before any upstream call', async () => {
    const double = await startDouble();
    const server = await startServe(double);
    try {
      const png = makePng({ description: 'x', width: 4, height: 4 });
      const badCrc = Buffer.from(png);
      badCrc[30] ^= 0xff;  // inside IHDR: its CRC no longer matches
      const truncated = png.subarray(0, png.length - 20);
      const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00;', 'latin1');
      const cases = [
        [[{ parts: Array.from({ length: 7 }, () => mediaPart('image/png', png)) }], 400, 'invalid_argument', /7 images; at most 6/],
        [[{ parts: [mediaPart('image/gif', gif)] }], 415, 'unsupported_media', /image\/gif/],
        [[{ parts: [mediaPart('image/webp', png)] }], 415, 'unsupported_media', /image\/webp/],
        [[{ parts: [mediaPart('image/png', makeWav())] }], 400, 'invalid_argument', /declared image\/png but the data is a audio\/wav/],
        [[{ parts: [mediaPart('audio/wav', png)] }], 400, 'invalid_argument', /declared audio\/wav/],
        [[{ parts: [mediaPart('image/png', badCrc)] }], 400, 'invalid_media', /CRC/i],
        [[{ parts: [mediaPart('image/png', truncated)] }], 400, 'invalid_media'],
        [[{ parts: [mediaPart('audio/wav', makeWav({ seconds: 81 }))] }], 413, 'media_too_large', /81 s; at most 80 s/],
        [[{ parts: [mediaPart('video/mp4', Buffer.alloc(21 * 1024 * 1024, 1))] }], 413, 'media_too_large', /at most 20 MB/],
        [[{ parts: [{ mime_type: 'image/png', data: 'not base64 at all!' }] }], 400, 'invalid_argument', /base64/],
        [[textInput('x'.repeat(32 * 1024 + 1))], 400, 'invalid_argument', /longer than 32768 bytes/],
        [[textInput('')], 400, 'invalid_argument', /empty text/],
        [Array.from({ length: 101 }, () => textInput('a')), 400, 'invalid_argument', /at most 100 inputs/],
      ];
      for (const [inputs, status, code, pattern] of cases) {
        const answer = await embed(server, inputs);
        assertError(answer, status, code, pattern);
      }
      assertError(await embed(server, [textInput('a')], { dimensions: 4000 }), 400, 'invalid_argument', /from 1 to 3072/);
      assertError(await embed(server, [textInput('a')], { task: 'banana' }), 400, 'invalid_argument', /task/);
      assertError(await call(server, '/api/embed', { body: '{"inputs": [' }), 400, 'invalid_json');
      assert.equal((await doubleStats(double)).calls, 0, 'nothing bad went upstream');
      // A large image is resized (to JPEG) before it is sent, and answered.
      const large = makePng({ width: 2400, height: 60, gray: 90 });
      assertUnitVectors(await embed(server, [{ parts: [mediaPart('image/png', large)] }], { dimensions: 128 }), 1, 128);
      // A body beyond the route's limit is refused from its head.
      const huge = await new Promise((resolve, reject) => {
        let received = '';
        const socket = net.connect(server.port, '127.0.0.1', () =>
          socket.write('POST /api/embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40000000\r\n\r\n{'));
        socket.on('data', (chunk) => { received += chunk; });
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      assert.match(huge, /^HTTP\/1\.1 413 /);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('serves Google\'s own SDK (@google/genai) through /v1beta with the key kept here', async () => {
    assert.ok(testPackages && fs.existsSync(path.join(testPackages, 'node_modules', '@google', 'genai')),
              'the @google/genai package is missing: run scripts/install-test-packages.sh (make test does)');
    const { GoogleGenAI } = createRequire(path.join(testPackages, 'package.json'))('@google/genai');
    const double = await startDouble([], { meaning: true });
    const server = await startServe(double);
    try {
      // The SDK's own key is a placeholder: the proxy holds the real one.
      const ai = new GoogleGenAI({ apiKey: 'placeholder-the-proxy-holds-the-key', httpOptions: { baseUrl: server.base } });
      const text = await ai.models.embedContent({ model, contents: 'a red bicycle leaning against a wall', config: { outputDimensionality: 768, taskType: 'RETRIEVAL_QUERY' } });
      assert.equal(text.embeddings.length, 1);
      assert.equal(text.embeddings[0].values.length, 768);
      const bicycle = makePng({ description: 'a red bicycle leaning against a brick wall' });
      const soup = makePng({ description: 'a steaming bowl of tomato soup' });
      const images = await ai.models.embedContent({
        model,
        contents: [bicycle, soup].map((png) => ({ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: png.toString('base64') } }] })),
        config: { outputDimensionality: 768, taskType: 'RETRIEVAL_DOCUMENT' },
      });
      assert.equal(images.embeddings.length, 2);
      const query = text.embeddings[0].values;
      assert.ok(dot(query, images.embeddings[0].values) > dot(query, images.embeddings[1].values) + 0.1);
      // The same question through /api/embed gives the same vector (one provider, one cache).
      const direct = await embed(server, [textInput('a red bicycle leaning against a wall')], { dimensions: 768, task: 'RETRIEVAL_QUERY' });
      for (let index = 0; index < 768; index++) assert.ok(Math.abs(direct.json.embeddings[0][index] - query[index]) < 1e-6);
      // Errors come back in Google's shape, which the SDK turns into an exception with the message.
      await assert.rejects(ai.models.embedContent({ model: 'text-embedding-004', contents: 'hello' }), /not served by this proxy/);
      const wrong = await call(server, `/v1beta/models/${model}:embedContent`, { body: { content: { parts: [{ inlineData: { mimeType: 'image/gif', data: 'R0lGODlh' } }] } } });
      assert.equal(wrong.status, 400);  // Google's status for every client mistake
      assert.equal(wrong.json.error.status, 'INVALID_ARGUMENT');
      const single = await call(server, `/v1beta/models/${model}:embedContent`, { body: { content: { parts: [{ text: 'hello' }] }, output_dimensionality: 128 } });
      assert.equal(single.status, 200, single.text);
      assert.equal(single.json.embedding.values.length, 128);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('limits each client\'s embedding rate, allows listed origins only, and serves /metrics', async () => {
    const double = await startDouble();
    const server = await startServe(double, ['--rate-limit', '1', '--rate-burst', '2', '--allow-origin', 'https://app.example']);
    try {
      const statuses = [];
      for (let index = 0; index < 3; index++) statuses.push(await embed(server, [textInput(`rate ${index}`)], { dimensions: 128 }));
      assert.deepEqual(statuses.map((answer) => answer.status), [200, 200, 429]);
      assertError(statuses[2], 429, 'rate_limited');
      assert.ok(Number(statuses[2].headers.get('retry-after')) >= 1);
      // Health is not rate limited.
      assert.equal((await call(server, '/api/health', { method: 'GET' })).status, 200);
      const preflight = await call(server, '/api/embed', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.match(preflight.headers.get('access-control-allow-methods'), /POST/);
      const stranger = await call(server, '/api/embed', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      assert.equal(stranger.status, 403);
      assert.equal(stranger.headers.get('access-control-allow-origin'), null);
      const health = await call(server, '/api/health', { method: 'GET', headers: { origin: 'https://app.example' } });
      assert.equal(health.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.equal((await call(server, '/api/health', { method: 'GET', headers: { origin: 'https://evil.example' } })).headers.get('access-control-allow-origin'), null);
      const metrics = await fetch(`${server.base}/metrics`);
      assert.match(metrics.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      assert.match(text, /^# TYPE mosaic_http_requests_total counter$/m);
      assert.match(text, /^mosaic_http_requests_total\{route="\/api\/embed",status="429"\} 1$/m);
      assert.match(text, /^# TYPE mosaic_http_request_duration_seconds histogram$/m);
      assert.match(text, /^mosaic_upstream_calls_total 2$/m);
    } finally {
      await stopAndCheck(server);
      await double.stop();
    }
  });

  it('starts local without a key, refuses gemini without one, and refuses an index of another model', async () => {
    const { spawnSync } = await import('node:child_process');
    const environment = { ...process.env };
    delete environment.GEMINI_API_KEY;
    const noKey = spawnSync(cli, ['serve', '--provider', 'gemini', '--port', '0'], { encoding: 'utf8', env: environment, timeout: 20000 });
    assert.equal(noKey.status, 2);
    assert.match(noKey.stderr, /needs an API key: set GEMINI_API_KEY or pass --api-key-file/);
    const keyFile = path.join(scratch, 'key.txt');
    fs.writeFileSync(keyFile, `${apiKey}\n`);
    const site = path.join(scratch, 'local-site');
    const collection = path.join(scratch, 'collection');
    fs.mkdirSync(collection, { recursive: true });
    fs.writeFileSync(path.join(collection, 'a.txt'), 'a small text file');
    assert.equal(spawnSync(cli, ['index', collection, '--out', site], { encoding: 'utf8' }).status, 0);
    const mismatch = spawnSync(cli, ['serve', '--api-key-file', keyFile, '--site', site, '--port', '0', '--gemini-base-url', 'http://127.0.0.1:9/v1beta'],
                               { encoding: 'utf8', env: environment, timeout: 20000 });
    assert.equal(mismatch.status, 1);
    assert.match(mismatch.stderr, /needs model 'use-lite-512@energetic-ai-0\.2\.0', but the gemini provider embeds with 'gemini-embedding-2'/);
    assert.ok(!mismatch.stderr.includes(apiKey) && !mismatch.stdout.includes(apiKey));
  });
});
