// The watch benchmark (make bench): how long from a file written into a watched folder until a search
// through mosaic serve finds it, with the defaults a user gets: `mosaic index --watch` (inotify, a
// 1,000 ms quiet period) and `mosaic serve` (looks for a new generation every 1,000 ms), the local
// model, over a collection of `--files` short notes (default 1,000) that stays indexed. Each round
// writes one new note with a phrase of its own and polls POST /api/search every 20 ms until the note is
// the first result; the figure is that time. It is made of the quiet period, the pass (walk the
// folder, embed the new file, the rest from the cache; write the generation), serve's next look at
// the manifest (half its interval on average) and its loading the new generation.
// The passes' own time (from --json reports) is reported beside it.
// Results: build/bench/watch-latency-results.json and a table on stdout.
// Usage: node tests/bench/watch_latency_benchmark.mjs MOSAIC_BINARY [--files N] [--rounds N] [--output FILE]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

import { startProcess } from '../support/processes.mjs';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const argumentList = process.argv.slice(2);
const option = (name, fallback) => {
  const position = argumentList.indexOf(name);
  return position === -1 ? fallback : argumentList[position + 1];
};
const binary = argumentList[0] && !argumentList[0].startsWith('--') ? path.resolve(argumentList[0]) : undefined;
if (!binary || !fs.existsSync(binary)) {
  console.error('usage: node tests/bench/watch_latency_benchmark.mjs MOSAIC_BINARY [--files N] [--rounds N] [--output FILE]');
  process.exit(2);
}
const fileCount = Number(option('--files', '1000'));
const rounds = Number(option('--rounds', '10'));
const outputFile = path.resolve(option('--output', path.join(repositoryRoot, 'build', 'bench', 'watch-latency-results.json')));

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-watch-bench-'));
const collection = path.join(scratch, 'collection');
const site = path.join(scratch, 'site');
fs.mkdirSync(collection);
const subjects = ['harbour', 'orchard', 'glacier', 'market', 'lighthouse', 'vineyard', 'canyon', 'library'];
for (let index = 0; index < fileCount; index++) {
  fs.writeFileSync(path.join(collection, `note-${index}.txt`),
    `Note ${index}: a short description of the ${subjects[index % subjects.length]} seen on day ${index % 365}.`);
}

const reportTimes = [];
const watch = spawn(binary, ['index', collection, '--out', site, '--watch', '--json', '--cache-dir', path.join(scratch, 'cache')],
  { stdio: ['ignore', 'pipe', 'pipe'] });
let watchLog = '';
let pending = '';
watch.stdout.setEncoding('utf8');
watch.stderr.setEncoding('utf8');
watch.stderr.on('data', (chunk) => { watchLog += chunk; });
watch.stdout.on('data', (chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf('\n')) !== -1) {
    const report = JSON.parse(pending.slice(0, end));
    pending = pending.slice(end + 1);
    reportTimes.push({ at: performance.now(), seconds: report.seconds, generation: report.generation });
  }
});
const waitUntil = async (condition, what, timeout = 600000) => {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline || watch.exitCode !== null) throw new Error(`${what}: ${watchLog}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

let server;
const latencies = [];
try {
  await waitUntil(() => /mosaic index: watching /.test(watchLog), 'the first pass did not finish');
  server = await startProcess(binary, ['serve', '--site', site, '--port', '0', '--cache-dir', path.join(scratch, 'serve-cache')],
    { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
  const base = `http://127.0.0.1:${server.port}`;
  for (let round = 0; round < rounds; round++) {
    const name = `fresh-${round}.txt`;
    const text = `A purple giraffe number ${round} juggles seventeen lanterns on a unicycle.`;
    const started = performance.now();
    fs.writeFileSync(path.join(collection, name), text);
    for (;;) {
      const answer = await (await fetch(`${base}/api/search`, { method: 'POST', body: JSON.stringify({ text, k: 1 }) })).json();
      if (answer.results?.[0]?.item.source === name) break;
      if (performance.now() - started > 120000) throw new Error(`round ${round}: not found in 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    latencies.push((performance.now() - started) / 1000);
    // Let both settle so the next round starts from a quiet folder.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
} finally {
  await server?.stop();
  watch.kill('SIGTERM');
  await new Promise((resolve) => watch.on('exit', resolve));
  fs.rmSync(scratch, { recursive: true, force: true });
}

const sorted = [...latencies].sort((a, b) => a - b);
const quantile = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
const passes = reportTimes.slice(1).map((report) => report.seconds.preparing + report.seconds.embedding + report.seconds.writing);
const summary = {
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, date: new Date().toISOString() },
  files: fileCount,
  rounds,
  write_to_search_seconds: { median: quantile(0.5), p90: quantile(0.9), max: sorted.at(-1), all: latencies },
  pass_seconds: { median: [...passes].sort((a, b) => a - b)[Math.floor(passes.length / 2)], all: passes },
};
fs.mkdirSync(path.dirname(outputFile), { recursive: true });
fs.writeFileSync(outputFile, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`mosaic index --watch + mosaic serve, ${fileCount} notes indexed, ${rounds} new files, on ${summary.machine.cores} cores`);
console.log(`  file written -> found by /api/search: median ${summary.write_to_search_seconds.median.toFixed(2)} s, ` +
  `p90 ${summary.write_to_search_seconds.p90.toFixed(2)} s, max ${summary.write_to_search_seconds.max.toFixed(2)} s`);
console.log(`  one pass (walk ${fileCount + 1} files, embed the new one, write the generation): median ${summary.pass_seconds.median?.toFixed(2)} s`);
console.log(`  results: ${path.relative(repositoryRoot, outputFile)}`);
