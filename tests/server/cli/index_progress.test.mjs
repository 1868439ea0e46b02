// mosaic index against the test double: --rpm spaces upstream calls (the double's call times show no
// window holding more than the limit allows) and the run completes; progress goes to stderr as plain
// lines without a terminal and as a live line redrawn in place on one (a pty from util-linux
// `script`). Run by ctest with MOSAIC_CLI and MOSAIC_GEMINI_DOUBLE.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../../support/processes.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');

const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-progress-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// `count` short notes: 100 inputs a batch, so count / 100 upstream calls.
function makeNotes(name, count) {
  const root = path.join(scratch, name);
  fs.mkdirSync(path.join(root, 'collection'), { recursive: true });
  for (let index = 0; index < count; index++) {
    fs.writeFileSync(path.join(root, 'collection', `note-${String(index).padStart(4, '0')}.txt`), `note ${index} of ${name}`);
  }
  fs.writeFileSync(path.join(root, 'collection', 'unknown.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
  return root;
}

const startDouble = (extra = []) =>
  startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text', ...extra], { ready: /listening on 127\.0\.0\.1:(\d+)/ });
const doubleStats = async (double) => (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json();

function indexArguments(root, double, extra) {
  return ['index', path.join(root, 'collection'), '--out', path.join(root, 'site'), '--provider', 'gemini',
    '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--cache-dir', path.join(root, 'cache'), '--json', ...extra];
}

test('--rpm spaces upstream calls so that no window exceeds the limit, and the run completes', async () => {
  // 240 a minute: one call every 250 ms. Without the limit, --concurrency 4 sends four at once.
  const double = await startDouble(['--rpm', '240']);
  try {
    const root = makeNotes('rpm', 800);
    const outcome = spawnSync(cli, indexArguments(root, double, ['--concurrency', '4', '--rpm', '240']),
      { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey } });
    assert.equal(outcome.status, 0, outcome.stderr);
    const report = JSON.parse(outcome.stdout);
    assert.equal(report.items, 800);
    const stats = await doubleStats(double);
    assert.equal(stats.injected_faults, 0, 'the double never had to refuse a call for its own limit');
    const times = stats.recent_call_times_ms;
    assert.equal(times.length, 8, 'eight batches of 100');
    // Slots are 250 ms apart, so eight calls span at least 7 x 250 ms; arrival times can shift by a
    // connection set-up (more so under ASan), so one slot of slack. Unpaced, they would come in two bursts.
    assert.ok(times.at(-1) - times[0] >= 6 * 250, `eight calls within ${times.at(-1) - times[0]} ms`);
    // The limit scaled to one second: no window of 1 s holds more than 240 / 60 = 4 calls (+1 for jitter).
    for (const start of times) {
      const inWindow = times.filter((time) => time >= start && time < start + 1000).length;
      assert.ok(inWindow <= 5, `${inWindow} calls within 1 s from ${start} ms: ${JSON.stringify(times)}`);
    }
  } finally {
    await double.stop();
  }
});

const progressFields = /indexing: (\d+)\/(\d+) items, [\d.]+ items\/s, ETA [\d:?]+, (\d+) cache hits, (\d+) skipped/;

test('without a terminal, progress is plain lines with items done/total, rate, cache hits and skipped', async () => {
  const double = await startDouble(['--latency-ms', '300']);
  try {
    const root = makeNotes('plain', 500);
    const outcome = spawnSync(cli, indexArguments(root, double, ['--concurrency', '1']),
      { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey } });
    assert.equal(outcome.status, 0, outcome.stderr);
    assert.ok(!outcome.stderr.includes('\r') && !outcome.stderr.includes('\x1b['), 'no terminal control codes in a log');
    const lines = outcome.stderr.split('\n').filter((line) => line.startsWith('indexing: '));
    assert.ok(lines.length >= 2, `a first line and the final one:\n${outcome.stderr}`);
    const counts = lines.map((line) => progressFields.exec(line));
    assert.ok(counts.every(Boolean), outcome.stderr);
    assert.ok(Number(counts[0][1]) < 500, 'the first line comes mid-run');
    const last = counts.at(-1);
    assert.deepEqual([last[1], last[2], last[3], last[4]], ['500', '500', '0', '1'], 'done/total, no cache hits, unknown.bin skipped');
    assert.ok(lines.length <= 4, 'a line every few seconds, not one per batch');
  } finally {
    await double.stop();
  }
});

test('on a terminal, progress is one live line redrawn in place', async (t) => {
  if (spawnSync('script', ['--version']).status !== 0) {
    t.skip('util-linux script is not installed');
    return;
  }
  const double = await startDouble(['--latency-ms', '300']);
  try {
    const root = makeNotes('live', 500);
    const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;
    const command = [cli, ...indexArguments(root, double, ['--concurrency', '1'])].map(quote).join(' ');
    // The pty merges stdout (the --json report) and stderr (the live line).
    const outcome = spawnSync('script', ['-qfec', command, '/dev/null'],
      { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey } });
    assert.equal(outcome.status, 0, outcome.stdout);
    const redraws = outcome.stdout.split('\r\x1b[2K').slice(1);
    assert.ok(redraws.length >= 2, `several redraws of one line:\n${JSON.stringify(outcome.stdout.slice(0, 2000))}`);
    const fields = redraws.map((redraw) => progressFields.exec(redraw));
    assert.ok(fields.every(Boolean), JSON.stringify(redraws));
    assert.ok(Number(fields[0][1]) < 500);
    const last = fields.at(-1);
    assert.deepEqual([last[1], last[2], last[4]], ['500', '500', '1']);
    assert.ok(!outcome.stdout.includes(apiKey));
  } finally {
    await double.stop();
  }
});
