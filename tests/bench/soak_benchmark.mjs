// The soak test (make bench: 10 minutes; make test: a short run, tests/CMakeLists.txt): `mosaic serve`
// with a real site and the gemini provider in front of the test double, under mixed traffic from
// 256 keep-alive connections on loopback for a stated time, plus /api/events streams that come and go
// and a re-index of the served site every --reindex-seconds (a new generation swapped in under load).
// Each connection is a closed loop picking, by weight:
//   search       POST /api/search {"text"} over 40 recurring queries (their embeddings: cache hits)
//   embed hit    POST /api/embed of one of 40 texts embedded before the run
//   embed miss   POST /api/embed of a text never seen (an upstream call to the double, coalesced)
//   v1beta       POST /v1beta/models/gemini-embedding-2:embedContent, a hit or a miss
//   manifest     GET /index/manifest.json
//   item         GET /index/items/<hash>.json of a shard of the current generation
//   range        GET /index/shards/<hash>.bin with Range: bytes=a-b (206)
//   health       GET /api/health
// Errors: every answer other than 200/206 and the documented 429/503 (with Retry-After), and every
// connection error, counts; the run fails on any. Latency p50/p99 per kind and overall. The server's
// resident memory (VmRSS in /proc/PID/status) and open descriptors (/proc/PID/fd) are sampled every
// second; after the warm-up (--warmup, default the first fifth of the run, at least 5 s, and never before
// every connection has had its first answer and every event stream its first event) both must stay flat:
//   memory       the highest sample after warm-up <= the sample at the end of warm-up + max(16 MB, 10%)
//   descriptors  the highest sample after warm-up <= the highest during warm-up + 16
// (caches are bounded: the embedding cache's memory level and file are set to 8 MB each, so that
// both, and the file's index in memory, are full before the warm-up ends; under sanitizers the memory bound is reported, not enforced, since
// AddressSanitizer's quarantine grows to its own cap). Results: --output (default
// build/bench/soak-results.json) and a table on stdout. Exit status 1 when a bound is missed.
// Usage: node tests/bench/soak_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY [--seconds 600] [--connections 256]
//          [--event-streams 16] [--reindex-seconds 30] [--warmup S] [--output FILE] [--sanitized]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../support/processes.mjs';

const [mosaicBinary, doubleBinary] = process.argv.slice(2);
const option = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : fallback;
};
if (!mosaicBinary || !doubleBinary) {
  throw new Error('usage: soak_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY [--seconds N] [--connections N] [--event-streams N] ' +
                  '[--reindex-seconds N] [--output FILE] [--sanitized]');
}
const seconds = Number(option('--seconds', 600));
const connections = Number(option('--connections', 256));
const eventStreams = Number(option('--event-streams', 16));
const reindexSeconds = Number(option('--reindex-seconds', 30));
const sanitized = process.argv.includes('--sanitized');
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const outputFile = path.resolve(option('--output', path.join(repositoryRoot, 'build', 'bench', 'soak-results.json')));
fs.mkdirSync(path.dirname(outputFile), { recursive: true });
const warmupSeconds = Number(option('--warmup', Math.max(5, seconds / 5)));
const memoryBoundBytes = (atWarmup) => Math.max(16 * 1024 * 1024, atWarmup * 0.10);
const descriptorBound = 16;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-soak-'));
const apiKey = `soak-${randomBytes(8).toString('hex')}`;
const dimensions = 256;

// The collection: 400 short texts in 20 folders, and one more text per re-index.
const subjects = ['a red bicycle', 'the harbour at dawn', 'a bowl of ramen', 'an old oak tree', 'a jazz trio',
  'snow on the mountains', 'a busy market', 'a sleeping cat', 'the city at night', 'a wooden boat'];
const collection = path.join(scratch, 'collection');
const writeText = (index) => {
  const folder = path.join(collection, `topic-${String(index % 20).padStart(2, '0')}`);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, `note-${String(index).padStart(5, '0')}.txt`),
    `Note ${index}: ${subjects[index % subjects.length]}, seen on day ${Math.floor(index / 10)}, filed under topic ${index % 97}.`);
};
for (let index = 0; index < 400; ++index) writeText(index);
const site = path.join(scratch, 'site');
const geminiEnvironment = { ...process.env, GEMINI_API_KEY: apiKey };

const double = await startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text'],
  { ready: /listening on 127\.0\.0\.1:(\d+)/ });
const geminiArguments = ['--provider', 'gemini', '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`];
// Runs `mosaic index` as its own process (the event loop keeps driving the load meanwhile).
function index() {
  return new Promise((resolve, reject) => {
    const child = spawn(mosaicBinary, ['index', collection, '--out', site, '--dims', String(dimensions), ...geminiArguments,
      '--cache-dir', path.join(scratch, 'index-cache')], { env: geminiEnvironment, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosaic index failed (${code}): ${stderr}`))));
  });
}
await index();

const server = await startProcess(mosaicBinary, ['serve', '--port', '0', '--site', site, ...geminiArguments, '--rate-limit', '0',
  '--cache-dir', path.join(scratch, 'serve-cache'), '--cache-memory-mb', '8', '--cache-file-mb', '8', '--watch-ms', '500'],
{ env: geminiEnvironment, ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
const port = server.port;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });

function request({ method = 'GET', target, body, headers = {}, useAgent = agent }) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const outgoing = http.request({ host: '127.0.0.1', port, method, path: target, agent: useAgent,
      headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } : headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks),
        milliseconds: Number(process.hrtime.bigint() - started) / 1e6 }));
      response.on('error', (error) => resolve({ status: 0, error: error.code || error.message }));
    });
    outgoing.on('error', (error) => resolve({ status: 0, error: error.code || error.message }));
    outgoing.end(body);
  });
}

// The current generation's files, refreshed after each re-index (items and shards of an older one are
// gone once the indexer cleans up; a request made in between may meet a 404, which is not counted).
let files = { items: [], shards: [] };
async function refreshFiles() {
  const answer = await request({ target: '/index/manifest.json' });
  if (answer.status !== 200) throw new Error(`manifest: ${answer.status}`);
  const manifest = JSON.parse(answer.body.toString('utf8'));
  files = { generation: manifest.generation, items: manifest.shards.map((shard) => shard.metadata.file),
            shards: manifest.shards.map((shard) => ({ file: shard.file, bytes: shard.bytes ?? shard.size })) };
  for (const shard of files.shards) {
    if (!shard.bytes) {
      const head = await request({ method: 'HEAD', target: `/index/${shard.file}` });
      shard.bytes = Number(head.headers['content-length']);
    }
  }
}
await refreshFiles();

const queries = Array.from({ length: 40 }, (_, index) => `${subjects[index % subjects.length]} on day ${index}`);
const hitTexts = Array.from({ length: 40 }, (_, index) => `a recurring query number ${index}`);
let missCounter = 0;
const missText = () => `an unseen query ${process.pid}-${missCounter++}`;
const embedBody = (text) => JSON.stringify({ inputs: [text], dimensions });
const v1betaBody = (text) => JSON.stringify({ content: { parts: [{ text }] }, outputDimensionality: dimensions });
const pick = (list) => list[Math.floor(Math.random() * list.length)];
for (const text of hitTexts) {
  const warm = await request({ method: 'POST', target: '/api/embed', body: embedBody(text) });
  if (warm.status !== 200) throw new Error(`warming the cache: ${warm.status} ${warm.body}`);
}

const kinds = [
  { name: 'search', weight: 20, make: () => ({ method: 'POST', target: '/api/search', body: JSON.stringify({ text: pick(queries), k: 10 }) }) },
  { name: 'embed hit', weight: 15, make: () => ({ method: 'POST', target: '/api/embed', body: embedBody(pick(hitTexts)) }) },
  { name: 'embed miss', weight: 10, make: () => ({ method: 'POST', target: '/api/embed', body: embedBody(missText()) }) },
  { name: 'v1beta', weight: 10, make: () => ({ method: 'POST', target: '/v1beta/models/gemini-embedding-2:embedContent',
    body: v1betaBody(Math.random() < 0.5 ? pick(hitTexts) : missText()), headers: { 'x-goog-api-key': 'placeholder' } }) },
  { name: 'manifest', weight: 10, make: () => ({ target: '/index/manifest.json' }) },
  { name: 'item', weight: 10, make: () => ({ target: `/index/${pick(files.items)}`, tolerate404: true }) },
  { name: 'range', weight: 15, make: () => {
    const shard = pick(files.shards);
    const first = Math.floor(Math.random() * Math.max(1, shard.bytes - 4096));
    return { target: `/index/${shard.file}`, headers: { range: `bytes=${first}-${first + 4095}` }, tolerate404: true, expect: 206 };
  } },
  { name: 'health', weight: 10, make: () => ({ target: '/api/health' }) },
];
const totalWeight = kinds.reduce((sum, kind) => sum + kind.weight, 0);
const chooseKind = () => {
  let roll = Math.random() * totalWeight;
  for (const kind of kinds) {
    roll -= kind.weight;
    if (roll < 0) return kind;
  }
  return kinds[kinds.length - 1];
};

// Latencies in 0.05 ms buckets up to 60 s, per kind and overall.
const bucketMs = 0.05;
const bucketCount = Math.ceil(60_000 / bucketMs);
const makeTally = () => ({ count: 0, buckets: new Uint32Array(bucketCount), statuses: {}, errors: 0, documented: 0, stale404: 0 });
const tallies = Object.fromEntries([...kinds.map((kind) => kind.name), 'events', 'all'].map((name) => [name, makeTally()]));
const errorSamples = [];
function percentile(tally, fraction) {
  const wanted = Math.ceil(tally.count * fraction);
  let seen = 0;
  for (let bucket = 0; bucket < bucketCount; ++bucket) {
    seen += tally.buckets[bucket];
    if (seen >= wanted && wanted > 0) return (bucket + 1) * bucketMs;
  }
  return NaN;
}
function record(name, answer, { expect = 200, tolerate404 = false } = {}) {
  for (const tally of [tallies[name], tallies.all]) {
    const key = answer.status === 0 ? `error ${answer.error}` : String(answer.status);
    tally.statuses[key] = (tally.statuses[key] ?? 0) + 1;
    if (answer.status === expect || (expect === 206 && answer.status === 200)) {
      tally.count += 1;
      tally.buckets[Math.min(bucketCount - 1, Math.floor(answer.milliseconds / bucketMs))] += 1;
    } else if ((answer.status === 429 || answer.status === 503) && answer.headers['retry-after']) {
      tally.documented += 1;
    } else if (answer.status === 404 && tolerate404) {
      tally.stale404 += 1;
    } else {
      tally.errors += 1;
      if (tally === tallies.all && errorSamples.length < 20) {
        errorSamples.push(`${name}: ${answer.status === 0 ? answer.error : `${answer.status} ${answer.body.toString('utf8').slice(0, 200)}`}`);
      }
    }
  }
}

const deadline = Date.now() + seconds * 1000;
const started = Date.now();
// When every connection has had its first answer and every event stream its first event: the warm-up
// does not end before it. On a starved machine opening 256 connections can outlast --warmup (a
// sanitizer run beside three fuzzers had 251 descriptors open at 10 s and its steady 288 after), and a
// descriptor baseline taken before the steady state would fail the check on the scheduler, not the server.
let connectedClients = 0;
let connectedSubscribers = 0;
let everyoneConnectedSecond = Infinity;
function connected(kind) {
  if (kind === 'client') connectedClients += 1;
  else connectedSubscribers += 1;
  if (connectedClients === connections && connectedSubscribers === eventStreams) everyoneConnectedSecond = (Date.now() - started) / 1000;
}
async function client() {
  let first = true;
  while (Date.now() < deadline) {
    const kind = chooseKind();
    const made = kind.make();
    const answer = await request(made);
    record(kind.name, answer, made);
    if (first) {
      first = false;
      connected('client');
    }
    if (answer.status === 503 || answer.status === 429) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// An /api/events subscriber: connects, reads until its first generation event, stays 1-3 s, leaves, again.
async function eventSubscriber() {
  let first = true;
  while (Date.now() < deadline) {
    const answer = await new Promise((resolve) => {
      const begun = process.hrtime.bigint();
      const outgoing = http.get({ host: '127.0.0.1', port, path: '/api/events', agent: false }, (response) => {
        let text = '';
        let resolved = false;
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
          if (!resolved && text.includes('event: generation')) {
            resolved = true;
            const held = 1000 + Math.random() * 2000;
            setTimeout(() => {
              outgoing.destroy();
              resolve({ status: response.statusCode, headers: response.headers, body: Buffer.alloc(0),
                        milliseconds: Number(process.hrtime.bigint() - begun) / 1e6 - held });
            }, held);
          }
        });
        response.on('end', () => {
          if (!resolved) resolve({ status: response.statusCode, headers: response.headers, body: Buffer.from(text), milliseconds: 0 });
        });
        response.on('error', () => {});
      });
      outgoing.on('error', (error) => resolve({ status: 0, error: error.code || error.message }));
    });
    record('events', answer);
    if (first) {
      first = false;
      connected('subscriber');
    }
  }
}

// Resident memory and open descriptors of the server, every second.
const samples = [];
function sample() {
  const status = fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  const rssKilobytes = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]);
  samples.push({ second: (Date.now() - started) / 1000, rss_bytes: rssKilobytes * 1024,
                 descriptors: fs.readdirSync(`/proc/${server.child.pid}/fd`).length });
}
const sampler = setInterval(sample, 1000);
sample();

// A re-index every reindexSeconds: one more text, a new generation the server swaps in under load.
let reindexes = 0;
let nextText = 400;
async function reindexer() {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, reindexSeconds * 1000));
    if (Date.now() > deadline - 3000) return;
    writeText(nextText++);
    await index();
    reindexes += 1;
    await new Promise((resolve) => setTimeout(resolve, 1000));  // the server looks every 500 ms
    await refreshFiles();
  }
}

console.error(`soak: ${connections} connections, ${eventStreams} event streams, ${seconds} s (warm-up ${warmupSeconds} s), ` +
              `a re-index every ${reindexSeconds} s…`);
await Promise.all([...Array.from({ length: connections }, client), ...Array.from({ length: eventStreams }, eventSubscriber),
  reindexer()]);
clearInterval(sampler);
sample();
const elapsed = (Date.now() - started) / 1000;
const finalHealth = await request({ target: '/api/health' });
agent.destroy();
const stopped = await server.stop();
await double.stop();
fs.rmSync(scratch, { recursive: true, force: true });

const warmupEnd = Math.max(warmupSeconds, everyoneConnectedSecond);
const warm = samples.filter((entry) => entry.second <= warmupEnd);
const after = samples.filter((entry) => entry.second > warmupEnd);
const rssAtWarmup = warm[warm.length - 1].rss_bytes;
const rssHighest = Math.max(...after.map((entry) => entry.rss_bytes));
const descriptorsWarmupHighest = Math.max(...warm.map((entry) => entry.descriptors));
const descriptorsHighest = Math.max(...after.map((entry) => entry.descriptors));
const megabytes = (bytes) => bytes / (1024 * 1024);
const checks = {
  no_errors: tallies.all.errors === 0,
  every_kind_answered: Object.values(tallies).every((tally) => tally.count > 0),
  // Every connection answered, with samples after the warm-up to judge: otherwise nothing was measured.
  warmed_up: Number.isFinite(everyoneConnectedSecond) && after.length > 0,
  memory_flat: rssHighest <= rssAtWarmup + memoryBoundBytes(rssAtWarmup),
  descriptors_flat: descriptorsHighest <= descriptorsWarmupHighest + descriptorBound,
  healthy_after: finalHealth.status === 200,
  clean_stop: stopped.code === 0,
};
const enforced = Object.entries(checks).filter(([name]) => !(sanitized && name === 'memory_flat'));
const summary = {
  benchmark: `mosaic serve soak: ${connections} keep-alive connections + ${eventStreams} /api/events subscribers, mixed traffic, ` +
             'gemini provider in front of the test double (hashed text vectors), a re-index under load',
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, date: new Date().toISOString(), load_average_at_end: os.loadavg() },
  seconds: elapsed, warmup_seconds: warmupSeconds, warmup_ended_second: warmupEnd, reindexes, sanitized,
  requests: tallies.all.count + tallies.all.documented + tallies.all.errors + tallies.all.stale404,
  requests_per_second: (tallies.all.count + tallies.all.documented) / elapsed,
  kinds: Object.fromEntries(Object.entries(tallies).map(([name, tally]) => [name, {
    answered: tally.count, p50_ms: percentile(tally, 0.5), p99_ms: percentile(tally, 0.99), max_ms: percentile(tally, 1),
    documented_429_503: tally.documented, stale_404: tally.stale404, errors: tally.errors, statuses: tally.statuses }])),
  error_samples: errorSamples,
  memory: { rss_mb_at_warmup: megabytes(rssAtWarmup), rss_mb_highest_after: megabytes(rssHighest),
            rss_mb_bound: megabytes(rssAtWarmup + memoryBoundBytes(rssAtWarmup)),
            rss_mb_first: megabytes(samples[0].rss_bytes), rss_mb_last: megabytes(samples[samples.length - 1].rss_bytes) },
  descriptors: { highest_during_warmup: descriptorsWarmupHighest, highest_after: descriptorsHighest,
                 bound: descriptorsWarmupHighest + descriptorBound, last: samples[samples.length - 1].descriptors },
  checks,
  samples,
};
fs.writeFileSync(outputFile, `${JSON.stringify(summary, null, 2)}\n`);

const verdict = (met) => (met ? 'ok' : 'MISSED');
console.log(`mosaic serve soak: ${elapsed.toFixed(0)} s, ${connections} connections + ${eventStreams} event streams, ` +
            `${summary.requests_per_second.toFixed(0)} answered requests/s, ${reindexes} re-indexes, load ${os.loadavg()[0].toFixed(2)}`);
for (const [name, kind] of Object.entries(summary.kinds)) {
  console.log(`  ${name.padEnd(11)} ${String(kind.answered).padStart(9)} answered  p50 ${kind.p50_ms.toFixed(2).padStart(7)} ms  ` +
              `p99 ${kind.p99_ms.toFixed(2).padStart(8)} ms  429/503 ${kind.documented_429_503}  errors ${kind.errors}` +
              (kind.stale_404 ? `  (404 on a replaced generation: ${kind.stale404})` : ''));
}
console.log(`  warm-up: ${Number.isFinite(everyoneConnectedSecond) ? `every connection answered at ${everyoneConnectedSecond.toFixed(1)} s, ` +
            `warm-up ended at ${warmupEnd.toFixed(1)} s` : 'some connection never answered'}: ${verdict(checks.warmed_up)}`);
console.log(`  memory: ${summary.memory.rss_mb_at_warmup.toFixed(1)} MB at the end of warm-up, highest after ` +
            `${summary.memory.rss_mb_highest_after.toFixed(1)} MB (bound ${summary.memory.rss_mb_bound.toFixed(1)} MB): ` +
            `${verdict(checks.memory_flat)}${sanitized ? ' (not enforced under sanitizers)' : ''}`);
console.log(`  descriptors: highest ${descriptorsWarmupHighest} during warm-up, ${descriptorsHighest} after ` +
            `(bound ${summary.descriptors.bound}): ${verdict(checks.descriptors_flat)}`);
for (const sampleError of errorSamples) console.log(`  error: ${sampleError}`);
console.log(`results written to ${outputFile}`);
const missed = enforced.filter(([, met]) => !met).map(([name]) => name);
if (missed.length) {
  console.log(`soak: MISSED ${missed.join(', ')}`);
  process.exitCode = 1;
}
