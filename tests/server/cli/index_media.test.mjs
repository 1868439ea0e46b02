// mosaic index over mixed media against the Gemini test double (and the local model): kinds decided
// by bytes, captions, the embedding cache across runs, crash safety under SIGKILL, hostile inputs.
// Run by ctest with MOSAIC_CLI, MOSAIC_GEMINI_DOUBLE and MOSAIC_MODEL_DIR. The double runs with
// --hash-text: it embeds a PNG by its tEXt Description and a WAV by its ICMT comment, and counts
// calls at GET /_double/stats.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../../support/processes.mjs';
import { makePng, makeWav } from '../../support/media_fixtures.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
const modelDirectory = process.env.MOSAIC_MODEL_DIR;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');

const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-media-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let folderCount = 0;
function makeFolder(files) {
  const root = path.join(scratch, `case-${++folderCount}`);
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, 'collection', relative)), { recursive: true });
    fs.writeFileSync(path.join(root, 'collection', relative), content);
  }
  fs.mkdirSync(path.join(root, 'cache'), { recursive: true });
  return root;
}

const startDouble = (extra = []) =>
  startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text', ...extra], { ready: /listening on 127\.0\.0\.1:(\d+)/ });
const doubleStats = async (double) => (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json();

function geminiArguments(root, double) {
  return ['--out', path.join(root, 'site'), '--provider', 'gemini', '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`,
    '--cache-dir', path.join(root, 'cache'), '--upstream-attempts', '2', '--upstream-initial-delay-ms', '50'];
}

function indexWithGemini(root, double, extra = []) {
  const outcome = spawnSync(cli, ['index', path.join(root, 'collection'), ...geminiArguments(root, double), '--json', ...extra],
    { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey } });
  assert.equal(outcome.status, 0, outcome.stderr);
  assert.ok(!outcome.stdout.includes(apiKey) && !outcome.stderr.includes(apiKey), 'the key is never printed');
  return { report: JSON.parse(outcome.stdout), stderr: outcome.stderr };
}

// Every item of the site's current generation, from its item metadata files.
function siteItems(site) {
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  const items = [];
  for (const shard of manifest.shards) {
    const metadata = JSON.parse(fs.readFileSync(path.join(site, shard.metadata.file), 'utf8'));
    items.push(...metadata.items);
  }
  return { manifest, items };
}

test('kinds are decided by bytes; captions are fused with the image and become its title; thumbnails are stored', async () => {
  const double = await startDouble();
  try {
    const root = makeFolder({
      'notes/bicycle.txt': 'A red bicycle leans against a wall.',
      'images/not-really-text.txt': makePng({ description: 'a drawing of a lighthouse', width: 300, height: 20 }),
      'images/cat.png': makePng({ description: 'a sleeping cat' }),
      'images/cat.txt': 'My cat Felix asleep on the sofa',
      'sounds/bell.wav': makeWav({ comment: 'a church bell ringing' }),
      'sounds/long.wav': makeWav({ comment: 'rain on a roof', seconds: 170 }),
    });
    const { report } = indexWithGemini(root, double);
    assert.equal(report.provider, 'gemini');
    assert.equal(report.caption_files, 1, 'cat.txt is the caption of cat.png, not an item of its own');
    assert.deepEqual(report.skipped, []);
    const { items } = siteItems(path.join(root, 'site'));
    const bySource = (source) => items.filter((item) => item.source === source);
    assert.equal(bySource('images/not-really-text.txt')[0].modality, 'image', 'a PNG named .txt is an image');
    const cat = bySource('images/cat.png')[0];
    assert.equal(cat.title, 'My cat Felix asleep on the sofa');
    assert.match(cat.thumbnail, /^thumbnails\/[0-9a-f]{64}\.jpg$/);
    const thumbnail = fs.readFileSync(path.join(root, 'site', cat.thumbnail));
    assert.deepEqual([...thumbnail.subarray(0, 3)], [0xff, 0xd8, 0xff], 'the thumbnail is a JPEG');
    assert.equal(bySource('images/cat.txt').length, 0);
    assert.equal(bySource('notes/bicycle.txt')[0].modality, 'text');
    const segments = bySource('sounds/long.wav').map((item) => item.source_offset).sort((a, b) => a - b);
    assert.deepEqual(segments, [0, 80000, 160000], '170 s of audio is three segments of at most 80 s');
    assert.equal(bySource('sounds/bell.wav').length, 1);
  } finally {
    await double.stop();
  }
});

test('a second run makes no upstream call; a changed file makes one; a deleted file leaves the index', async () => {
  const double = await startDouble();
  try {
    const files = {};
    for (let index = 0; index < 30; index++) files[`texts/note-${index}.txt`] = `note number ${index} about ${index % 2 ? 'birds' : 'boats'}`;
    files['pictures/tree.png'] = makePng({ description: 'an oak tree' });
    const root = makeFolder(files);
    const first = indexWithGemini(root, double).report;
    assert.equal(first.items, 31);
    const afterFirst = await doubleStats(double);
    assert.ok(afterFirst.batch_calls >= 1);

    const second = indexWithGemini(root, double).report;
    assert.equal(second.items, 31);
    assert.equal(second.cache_hits, 31);
    assert.equal((await doubleStats(double)).calls, afterFirst.calls, 'an unchanged collection makes zero upstream calls');

    fs.writeFileSync(path.join(root, 'collection', 'texts', 'note-3.txt'), 'a brand new note about trains');
    fs.rmSync(path.join(root, 'collection', 'texts', 'note-4.txt'));
    const third = indexWithGemini(root, double).report;
    const afterThird = await doubleStats(double);
    assert.equal(afterThird.calls - afterFirst.calls, 1, 'one changed file makes one upstream call');
    assert.equal(afterThird.embedded_inputs - afterFirst.embedded_inputs, 1);
    assert.equal(third.items, 30);
    const { items } = siteItems(path.join(root, 'site'));
    assert.ok(!items.some((item) => item.source === 'texts/note-4.txt'), 'the deleted file left the index');
  } finally {
    await double.stop();
  }
});

test('SIGKILL mid-run keeps the old site; the next run resumes from the cache and indexes every item once', async () => {
  const double = await startDouble(['--latency-ms', '200']);
  try {
    const files = { 'seed.txt': 'the first generation' };
    const root = makeFolder(files);
    indexWithGemini(root, double);
    const site = path.join(root, 'site');
    const oldManifest = fs.readFileSync(path.join(site, 'manifest.json'), 'utf8');
    for (let index = 0; index < 600; index++) {
      fs.writeFileSync(path.join(root, 'collection', `item-${String(index).padStart(3, '0')}.txt`), `item ${index} of the crash test`);
    }
    const base = await doubleStats(double);
    // One batch in flight at a time, so the kill lands between batches that are already durable.
    const child = spawn(cli, ['index', path.join(root, 'collection'), ...geminiArguments(root, double), '--concurrency', '1'],
      { env: { ...process.env, GEMINI_API_KEY: apiKey }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let stats = await doubleStats(double);
    for (let waited = 0; stats.batch_calls - base.batch_calls < 3 && waited < 30000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stats = await doubleStats(double);
    }
    assert.ok(stats.batch_calls - base.batch_calls >= 3, 'the indexer made progress before the kill');
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    // The call that was in flight may still be counted by the double: let it finish first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const atKill = await doubleStats(double);
    const callsBeforeKill = atKill.batch_calls - base.batch_calls;
    assert.ok(callsBeforeKill < 7, 'killed before the end (601 inputs are 7 batches)');

    assert.equal(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'), oldManifest, 'the old manifest is untouched');
    const old = siteItems(site);
    assert.equal(old.items.length, 1, 'the old site still loads: every file it names is there');

    const { report } = indexWithGemini(root, double);
    const rerun = await doubleStats(double);
    const rerunInputs = rerun.embedded_inputs - atKill.embedded_inputs;
    assert.ok(report.cache_hits >= 200, `the batches finished before the kill come from the cache (${report.cache_hits} hits)`);
    assert.ok(rerunInputs <= 601 - 200, `the re-run asked for fewer inputs than a fresh run (${rerunInputs})`);
    const { items } = siteItems(site);
    assert.equal(items.length, 601);
    assert.equal(new Set(items.map((item) => item.source)).size, 601, 'every item exactly once');
  } finally {
    await double.stop();
  }
});

test('hostile inputs are skipped with their reasons and the run succeeds', async () => {
  const double = await startDouble();
  try {
    const png = makePng({ description: 'a valid picture' });
    const badCrc = Buffer.from(png);
    badCrc[30] ^= 0xff;  // inside IHDR's CRC: it no longer matches the chunk
    const wav = makeWav({ comment: 'a sound', seconds: 1 });
    const root = makeFolder({
      'good.png': png,
      'zero.png': Buffer.alloc(0),
      'truncated.png': png.subarray(0, 40),
      'truncated.jpg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]),
      'truncated.wav': wav.subarray(0, 60),
      'bad-crc.png': badCrc,
    });
    fs.writeFileSync(path.join(root, 'collection', 'huge.bin'), Buffer.alloc(100 * 1024 * 1024));
    fs.writeFileSync(path.join(root, 'collection', Buffer.from([0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]).toString('latin1')), 'x');
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(root, 'collection') + path.sep), Buffer.from([0x62, 0xff, 0x2e, 0x74, 0x78, 0x74])]), 'bad name');
    const { report } = indexWithGemini(root, double);
    assert.equal(report.items, 2, 'good.png and the Latin-1 named note (valid UTF-8 when written by Node)');
    const reasons = Object.fromEntries(report.skipped.map((file) => [file.path, file.reason]));
    assert.match(reasons['zero.png'], /empty/);
    assert.match(reasons['truncated.png'], /not a usable image/);
    assert.match(reasons['truncated.jpg'], /not a usable image/);
    assert.match(reasons['truncated.wav'], /not a usable WAV/);
    assert.match(reasons['bad-crc.png'], /not a usable image/);
    assert.match(reasons['huge.bin'], /not text, an image/);
    const badName = report.skipped.find((file) => /not valid UTF-8/.test(file.reason));
    assert.ok(badName, 'a non-UTF-8 file name is reported');
  } finally {
    await double.stop();
  }
});

test('the local provider indexes images and audio by their text and marks them matched by caption', () => {
  assert.ok(modelDirectory && fs.existsSync(modelDirectory), 'MOSAIC_MODEL_DIR must point at the local model');
  const root = makeFolder({
    'photos/harbour.png': makePng(),
    'photos/harbour.txt': 'fishing boats in a harbour at sunset',
    'photos/volcano.png': makePng({ description: 'a volcano erupting with red lava' }),
    'sounds/thunder.wav': makeWav({ comment: 'thunder during a storm' }),
    'photos/_.png': makePng(),
    'notes/recipe.txt': 'bake the bread for forty minutes',
  });
  const site = path.join(root, 'site');
  const outcome = spawnSync(cli, ['index', path.join(root, 'collection'), '--out', site, '--provider', 'local',
    '--model-dir', modelDirectory, '--cache-dir', path.join(root, 'cache'), '--json'], { encoding: 'utf8' });
  assert.equal(outcome.status, 0, outcome.stderr);
  const report = JSON.parse(outcome.stdout);
  assert.equal(report.items_embedded_by_caption, 3);
  assert.match(report.skipped.find((file) => file.path === 'photos/_.png').reason, /no text to index this image by/);
  const { items } = siteItems(site);
  const volcano = items.find((item) => item.source === 'photos/volcano.png');
  assert.equal(volcano.embedded_from, 'caption');
  assert.ok(volcano.thumbnail, 'captioned images still get thumbnails');
  assert.equal(items.find((item) => item.source === 'notes/recipe.txt').embedded_from ?? 'content', 'content');
  const query = spawnSync(cli, ['query', site, 'boats at sea', '-k', '1', '--model-dir', modelDirectory, '--json'], { encoding: 'utf8' });
  assert.equal(query.status, 0, query.stderr);
  assert.equal(JSON.parse(query.stdout).results[0].item.source, 'photos/harbour.png');
  const storm = spawnSync(cli, ['query', site, 'a thunderstorm', '-k', '1', '--model-dir', modelDirectory, '--json'], { encoding: 'utf8' });
  assert.equal(JSON.parse(storm.stdout).results[0].item.source, 'sounds/thunder.wav');
});

test('query by image and audio, and classify an image by its labelled neighbours', async () => {
  const double = await startDouble();
  try {
    const root = makeFolder({
      'people/alice/one.png': makePng({ description: 'alice at the beach', gray: 10 }),
      'people/alice/two.png': makePng({ description: 'alice in the garden', gray: 20 }),
      'people/bob/one.png': makePng({ description: 'bob on a bicycle', gray: 30 }),
      'people/bob/two.png': makePng({ description: 'bob reading', gray: 40 }),
      'sounds/bell.wav': makeWav({ comment: 'a church bell ringing' }),
    });
    indexWithGemini(root, double);
    const site = path.join(root, 'site');
    // The double embeds a PNG as its Description: the same caption is the nearest vector.
    fs.writeFileSync(path.join(root, 'alice-query.png'), makePng({ description: 'alice in the garden', gray: 99 }));
    fs.writeFileSync(path.join(root, 'stranger.png'), makePng({ gray: 77, width: 3 }));
    fs.writeFileSync(path.join(root, 'bell-query.wav'), makeWav({ comment: 'a church bell ringing', seed: 5 }));
    const env = { ...process.env, GEMINI_API_KEY: apiKey };
    const provider = ['--provider', 'gemini', '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--no-cache'];
    const run = (...args) => {
      const outcome = spawnSync(cli, [...args, ...provider, '--json'], { encoding: 'utf8', env });
      assert.equal(outcome.status, 0, outcome.stderr);
      return JSON.parse(outcome.stdout);
    };
    const byImage = run('query', site, '--image', path.join(root, 'alice-query.png'), '-k', '2');
    assert.equal(byImage.results[0].item.source, 'people/alice/two.png');
    // Not 1: the query and the documents carry different task prefixes (fused in as text parts).
    assert.ok(byImage.results[0].score > byImage.results[1].score + 0.3, JSON.stringify(byImage.results));
    const byAudio = run('query', site, '--audio', path.join(root, 'bell-query.wav'), '-k', '1');
    assert.equal(byAudio.results[0].item.source, 'sounds/bell.wav');

    const alice = run('classify', site, '--image', path.join(root, 'alice-query.png'), '-k', '3');
    assert.equal(alice.label, 'alice');
    assert.ok(alice.confidence >= 0.6);
    const stranger = run('classify', site, '--image', path.join(root, 'stranger.png'), '--min-similarity', '0.5');
    assert.equal(stranger.label, null, 'nobody is similar enough: unknown');

    const local = spawnSync(cli, ['query', site, '--image', path.join(root, 'alice-query.png'), '--provider', 'local',
      '--model-dir', modelDirectory ?? '/nonexistent', '--no-cache'], { encoding: 'utf8' });
    assert.equal(local.status, 1);
    assert.match(local.stderr, /model/);
  } finally {
    await double.stop();
  }
});
