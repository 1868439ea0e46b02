// The server benchmark (make bench): mosaic serve with the gemini provider in front of the test
// double at zero latency, loaded by wrk with 64 connections for a fixed time per scenario:
//   health      GET /api/health: the server's own floor (routing, JSON, keep-alive), the peer the
//               cache-hit figure is compared with
//   embed hit   POST /api/embed of one text already in the cache (768 dimensions): a popular query,
//               whose vector's JSON text the server remembers (the vector text memo)
//   hit, 5,000 texts  hits spread over 5,000 cached texts, more than the memo holds (~1,300 vectors of
//               768): most answers write their floats afresh, the cache-hit cost without the memo
//   embed miss  POST /api/embed of a new text every time: coalesced upstream calls to the double
//               (the default coalescing window: a partial batch waits for a 10 ms lull)
//   miss, no window  the same with --batch-idle-ms 0: the proxy's own cost without the window
//   double      the same new-text requests straight to the double (embedContent): the miss's peer
//               at 64 connections (miss minus double there includes waiting for batches; see below)
//   1 MB file   GET of a 1 MB content-addressed file under /index/ (the path shards take)
//   search      POST /api/search by vector, k = 10, over a site of 20,000 x 768 int8 vectors in two
//               shards (mosaic_bench_vectors with 10 labels, in build/bench/vectors-20000x768-labels10):
//               the body's JSON numbers parsed, the query prepared, the exact scan, the answer's items
//               as JSON; the 200 held-out queries in turn
//   search, label filter  the same with {"filter": {"label": "label-<query mod 10>"}}: a tenth of the
//               rows match, the rest are skipped during the scan
//   and both searches with one connection (the latency of one search with the server otherwise idle)
// With 64 closed-loop clients a miss waits for the batch in flight before its own batch goes (the
// coalescer fills batches while a call is out: that is what keeps 1,000 concurrent queries to a dozen
// upstream calls), so "miss minus double" at 64 connections measures batching, not the proxy's own
// work. The proxy's own cost per miss is measured without that queue, one connection each:
//   miss, 1 connection             the no-window proxy, one client: parse, cache, upstream body,
//                                  the upstream's answer read, the vector written back
//   miss, 1 conn, default window   the same with the default 10 ms coalescing window (a lone query
//                                  waits for the window: its price)
//   double, 1 connection           its peer: the same new texts straight to the double
// proxy overhead = miss, 1 connection minus double, 1 connection (p50 and p99).
// Both the load generator and the servers share the machine's cores; figures are what one machine
// does with everything on it. Results: build/bench/serve-results.json and a table on stdout.
// Usage: node tests/bench/serve_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY [--seconds N]
//          [--generator MOSAIC_BENCH_VECTORS] [--output FILE]
//   --generator  the search site's generator; default: mosaic_bench_vectors beside MOSAIC_BINARY (the
//                same build folder). The site is generated once and kept, so another server binary
//                (an older build, for a before/after comparison) searches the same files.
//   --output     default build/bench/serve-results.json
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../support/processes.mjs';
import { ensureDataSet, loadDataSet, query } from './bench_data.mjs';
import { wrkDriver } from './wrk_driver.mjs';

const [mosaicBinary, doubleBinary] = process.argv.slice(2);
const option = (name) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const seconds = Number(option('--seconds') ?? 10);
if (!mosaicBinary || !doubleBinary) {
  throw new Error('usage: serve_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY [--seconds N] [--generator MOSAIC_BENCH_VECTORS] [--output FILE]');
}
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
fs.mkdirSync(benchDirectory, { recursive: true });
const outputFile = path.resolve(option('--output') ?? path.join(benchDirectory, 'serve-results.json'));
const generator = option('--generator') ?? path.join(path.dirname(mosaicBinary), 'mosaic_bench_vectors');

// The search site: 20,000 x 768 int8 vectors (two shards of 10,000), item r labelled label-<r mod 10>.
const searchLabels = 10;
const searchDirectory = path.join(benchDirectory, `vectors-20000x768-labels${searchLabels}`);
ensureDataSet(generator, searchDirectory, { count: 20000, dimensions: 768, queries: 200, labels: searchLabels });
const searchData = loadDataSet(searchDirectory);
// A search body per held-out query, its numbers with 9 significant digits (a float32 exactly).
const searchBody = (index, filter) => JSON.stringify({
  vector: Array.from(query(searchData, index), (value) => Number(value.toPrecision(9))),
  k: 10,
  ...(filter ? { filter: { label: `label-${index % searchLabels}` } } : {}),
});
const searchQueries = searchData.description.queries;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-serve-bench-'));
const apiKey = `bench-${randomBytes(8).toString('hex')}`;
const connections = 64;

// A site with one 1 MB content-addressed file: the serving path of every shard and thumbnail.
const site = path.join(scratch, 'web');
fs.mkdirSync(site, { recursive: true });
fs.writeFileSync(path.join(site, 'shard-1mb.bin'), randomBytes(1 << 20));

const { writeScript, runWrk } = wrkDriver({ scratch, seconds, connections, name: 'serve benchmark' });

const double = await startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text'],
  { ready: /listening on 127\.0\.0\.1:(\d+)/ });
const server = await startProcess(mosaicBinary, ['serve', '--port', '0', '--web', site, '--rate-limit', '0',
  '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--cache-dir', path.join(scratch, 'cache')], {
  env: { ...process.env, GEMINI_API_KEY: apiKey },
  ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\//,
});
const base = `http://127.0.0.1:${server.port}`;
const eager = await startProcess(mosaicBinary, ['serve', '--port', '0', '--rate-limit', '0', '--batch-idle-ms', '0',
  '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--no-cache'], {
  env: { ...process.env, GEMINI_API_KEY: apiKey },
  ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\//,
});
const searcher = await startProcess(mosaicBinary, ['serve', '--port', '0', '--rate-limit', '0', '--site', searchData.siteI8,
  '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--no-cache'], {
  env: { ...process.env, GEMINI_API_KEY: apiKey },
  ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\//,
});
const searchUrl = `http://127.0.0.1:${searcher.port}/api/search`;
const results = [];
try {
  // Each search body is answered with 10 results (with the filter: of that label) before it is timed.
  for (const filter of [false, true]) {
    for (const index of [0, 1, 7]) {
      const answer = await fetch(searchUrl, { method: 'POST', body: searchBody(index, filter) });
      if (answer.status !== 200) throw new Error(`search failed: ${answer.status} ${await answer.text()}`);
      const found = (await answer.json()).results;
      // {id, score, item} since the one-index change; {id, score, ...item fields} before it.
      const labelOf = (result) => result.item?.label ?? result.label;
      if (found.length !== 10 || (filter && !found.every((result) => labelOf(result) === `label-${index % searchLabels}`))) {
        throw new Error(`search answered unexpected results: ${JSON.stringify(found).slice(0, 300)}`);
      }
    }
  }

  const hitBody = JSON.stringify({ inputs: ['a red bicycle leaning against a brick wall'], dimensions: 768 });
  const warm = await fetch(`${base}/api/embed`, { method: 'POST', body: hitBody });
  if (warm.status !== 200) throw new Error(`warming the cache failed: ${warm.status} ${await warm.text()}`);
  // 5,000 texts into the cache, 100 per request.
  const cycleCount = 5000;
  const cycleText = (index) => `a cached query number ${index}`;
  for (let first = 0; first < cycleCount; first += 100) {
    const inputs = Array.from({ length: 100 }, (_, offset) => cycleText(first + offset));
    const filled = await fetch(`${base}/api/embed`, { method: 'POST', body: JSON.stringify({ inputs, dimensions: 768 }) });
    if (filled.status !== 200) throw new Error(`filling the cache failed: ${filled.status} ${await filled.text()}`);
  }
  results.push(runWrk('health', `${base}/api/health`, writeScript('health', {})));
  results.push(runWrk('embed hit', `${base}/api/embed`, writeScript('hit', { method: 'POST', body: hitBody })));
  results.push(runWrk('hit, 5,000 texts', `${base}/api/embed`, writeScript('hit-cycle', { method: 'POST',
    cycle: { count: cycleCount, format: '{"inputs":["a cached query number %d"],"dimensions":768}' } })));
  results.push(runWrk('embed miss', `${base}/api/embed`,
    writeScript('miss', { method: 'POST', unique: '{"inputs":["an unseen query number %s"],"dimensions":768}' })));
  results.push(runWrk('miss, no window', `http://127.0.0.1:${eager.port}/api/embed`,
    writeScript('miss-eager', { method: 'POST', unique: '{"inputs":["another unseen query %s"],"dimensions":768}' })));
  results.push(runWrk('double', `http://127.0.0.1:${double.port}/v1beta/models/gemini-embedding-2:embedContent`,
    writeScript('double', { method: 'POST', headers: { 'x-goog-api-key': apiKey },
      unique: '{"content":{"parts":[{"text":"an unseen query number %s"}]},"outputDimensionality":768}' })));
  results.push(runWrk('1 MB file', `${base}/shard-1mb.bin`, writeScript('file', {})));
  results.push(runWrk('miss, 1 connection', `http://127.0.0.1:${eager.port}/api/embed`,
    writeScript('miss-single', { method: 'POST', unique: '{"inputs":["a lone unseen query %s"],"dimensions":768}' }), 1));
  results.push(runWrk('miss, 1 conn, default window', `${base}/api/embed`,
    writeScript('miss-single-window', { method: 'POST', unique: '{"inputs":["a lone windowed query %s"],"dimensions":768}' }), 1));
  results.push(runWrk('double, 1 connection', `http://127.0.0.1:${double.port}/v1beta/models/gemini-embedding-2:embedContent`,
    writeScript('double-single', { method: 'POST', headers: { 'x-goog-api-key': apiKey },
      unique: '{"content":{"parts":[{"text":"a lone unseen query %s"}]},"outputDimensionality":768}' }), 1));
  const searchScript = (name, filter) => writeScript(name, { method: 'POST',
    bodies: Array.from({ length: searchQueries }, (_, index) => searchBody(index, filter)) });
  results.push(runWrk('search', searchUrl, searchScript('search', false)));
  results.push(runWrk('search, label filter', searchUrl, searchScript('search-label', true)));
  results.push(runWrk('search, 1 connection', searchUrl, searchScript('search-single', false), 1));
  results.push(runWrk('search, label filter, 1 conn', searchUrl, searchScript('search-label-single', true), 1));
} finally {
  await searcher.stop();
  await server.stop();
  await eager.stop();
  await double.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}

const find = (label) => results.find((result) => result.label === label);
const summary = {
  benchmark: 'mosaic serve (gemini provider, test double at zero latency; search over 20,000 x 768 int8), wrk -t2 -c64',
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, date: new Date().toISOString(), seconds_per_run: seconds,
             load_average: os.loadavg() },
  binaries: { mosaic: path.resolve(mosaicBinary), double: path.resolve(doubleBinary) },
  search_site: { count: searchData.description.count, dimensions: searchData.description.dimensions, quantization: 'i8',
                 labels: searchLabels, k: 10, queries: searchQueries },
  results,
  ratios: {
    hit_to_health_throughput: find('embed hit').requests_per_second / find('health').requests_per_second,
    miss_added_p50_ms: find('embed miss').p50_ms - find('double').p50_ms,
    miss_added_p99_ms: find('embed miss').p99_ms - find('double').p99_ms,
    miss_no_window_added_p50_ms: find('miss, no window').p50_ms - find('double').p50_ms,
    miss_no_window_added_p99_ms: find('miss, no window').p99_ms - find('double').p99_ms,
    proxy_overhead_p50_ms: find('miss, 1 connection').p50_ms - find('double, 1 connection').p50_ms,
    proxy_overhead_p99_ms: find('miss, 1 connection').p99_ms - find('double, 1 connection').p99_ms,
    window_added_p50_ms: find('miss, 1 conn, default window').p50_ms - find('miss, 1 connection').p50_ms,
  },
};
fs.writeFileSync(outputFile, `${JSON.stringify(summary, null, 2)}\n`);
const verdict = (met) => (met ? 'met' : 'MISSED');
console.log(`mosaic serve under wrk (${connections} connections, ${seconds} s each) on ${summary.machine.cores} cores`);
for (const result of results) {
  console.log(`  ${`${result.label} (${result.connections})`.padEnd(34)} ${result.requests_per_second.toFixed(0).padStart(8)} req/s  p50 ${result.p50_ms.toFixed(2)} ms  p99 ${result.p99_ms.toFixed(2)} ms` +
              (result.non_2xx ? `  (${result.non_2xx} non-2xx!)` : ''));
}
console.log(`  cache hits: ${find('embed hit').requests_per_second.toFixed(0)} req/s (target >= 20,000: ${verdict(find('embed hit').requests_per_second >= 20000)}), ` +
            `${summary.ratios.hit_to_health_throughput.toFixed(2)}x of /api/health`);
console.log(`  proxy overhead on a miss, one connection, no window: p50 +${summary.ratios.proxy_overhead_p50_ms.toFixed(2)} ms, ` +
            `p99 +${summary.ratios.proxy_overhead_p99_ms.toFixed(2)} ms over the double alone ` +
            `(target p99 <= 5 ms: ${verdict(summary.ratios.proxy_overhead_p99_ms <= 5)}); the default window adds ` +
            `${summary.ratios.window_added_p50_ms.toFixed(2)} ms to a lone query's p50`);
console.log(`  at 64 connections (batching included): miss p50 +${summary.ratios.miss_added_p50_ms.toFixed(2)} ms, p99 +${summary.ratios.miss_added_p99_ms.toFixed(2)} ms ` +
            `over the double alone; with --batch-idle-ms 0: p50 +${summary.ratios.miss_no_window_added_p50_ms.toFixed(2)} ms, ` +
            `p99 +${summary.ratios.miss_no_window_added_p99_ms.toFixed(2)} ms`);
console.log(`results written to ${path.relative(process.cwd(), outputFile)}`);
