// The JavaScript API on a partitioned site (docs/format.md, "Partitioned layout"; lib/partitions.mjs):
// open fetches the manifest and the centroid table and no partition; a search fetches only the
// partitions it probes and answers as native `mosaic query` does over the whole site; a second search
// of the same region fetches nothing; a new open with the same store downloads no partition again; a
// small memory budget evicts the least recently used partitions; refresh() after a re-index fetches
// only the changed partitions the client holds and finds the new item; prefetch() fetches the rest.
// With a host that honours Range, a search fetches each probed partition's head and only the rows it
// re-ranks, and answers exactly as with whole partitions; a host that ignores Range (this file's
// first server, like python3 -m http.server) gets whole partitions; left to choose, the client stops
// fetching heads for new partitions once Range reads fetch most of the bytes whole files hold.
// Run by ctest in build-wasm like search_api.test.mjs (the native CLI writes the site with the local model).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { runMosaic, writeFiles } from '../support/sample_collection.mjs';
import { startStaticServer } from '../support/static_server.mjs';
import { requiredPaths } from '../support/test_environment.mjs';

const { MOSAIC_WEB_DIR: webDirectory, MOSAIC_NATIVE_CLI: nativeCli, MOSAIC_MODEL_DIR: modelDirectory, skip } =
  requiredPaths(['MOSAIC_WEB_DIR', 'MOSAIC_NATIVE_CLI', 'MOSAIC_MODEL_DIR'], 'run through ctest after make native');

// 1,200 short texts in six label folders (35 partitions of about 35 items): sentences made of a
// subject, an action and a place, so that queries have near neighbours in a few regions only.
const subjects = ['a red fox', 'the old fisherman', 'a small robot', 'the jazz band', 'a hungry bear', 'the chess club',
  'a paper kite', 'the night train', 'a golden retriever', 'the science teacher'];
const actions = ['waits quietly', 'sings loudly', 'repairs an engine', 'bakes bread', 'reads a map', 'paints a mural',
  'counts the stars', 'plays the violin', 'chases a ball', 'writes a letter', 'climbs a ladder', 'sells apples'];
const places = ['by the harbour', 'in the desert', 'on the rooftop', 'under the bridge', 'at the market', 'in the library',
  'beside the lake', 'inside the museum', 'near the volcano', 'along the river'];
const labels = ['animals', 'music', 'machines', 'food', 'travel', 'art'];

function collectionFiles() {
  const files = {};
  let count = 0;
  for (const subject of subjects) {
    for (const action of actions) {
      for (const place of places) {
        files[`${labels[count % labels.length]}/${String(count).padStart(4, '0')}.txt`] = `${subject} ${action} ${place}.`;
        count += 1;
      }
    }
  }
  return files;
}

let Mosaic, memoryStore;
let root, collection, site, server, rangeServer;

const mosaic = (...args) => runMosaic(nativeCli, args);
const buildIndex = () => mosaic('index', collection, '--out', site, '--layout', 'partitioned', '--model-dir', modelDirectory);
const readManifest = () => JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
const nativeQuery = (text, k, ...options) =>
  JSON.parse(mosaic('query', site, text, '-k', String(k), '--json', '--mode', 'vector', '--model-dir', modelDirectory, ...options)).results;
const partitionRequests = () => server.state.requests.filter((request) => request.path.startsWith('/partitions/')).map((request) => request.path.slice(1));
const open = (options = {}) => Mosaic.open(server.url, { storage: null, modelBaseUrl: `${server.url}model/`, ...options });

before(async () => {
  if (skip) return;
  ({ Mosaic, memoryStore } = await import(pathToFileURL(path.join(webDirectory, 'mosaic.mjs')).href));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-partitioned-'));
  collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, collectionFiles());
  buildIndex();
  server = await startStaticServer([['model/', modelDirectory], ['', site]]);
  rangeServer = await startStaticServer([['model/', modelDirectory], ['', site]], { ranges: true });
});

after(async () => {
  if (server) await server.close();
  if (rangeServer) await rangeServer.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('open fetches the centroids and no partition; a search fetches only what it probes and answers as native query', { skip }, async () => {
  const manifest = readManifest();
  assert.equal(manifest.layout, 'partitioned');
  assert.ok(manifest.partitions.length >= 30, `${manifest.partitions.length} partitions`);
  server.reset();
  const db = await open();
  assert.equal(db.manifest.layout, 'partitioned');
  assert.deepEqual(partitionRequests(), [], 'open fetches no partition');
  assert.ok(server.state.requests.some((request) => request.path.startsWith('/centroids/')), 'open fetches the centroid table');
  assert.equal(db.stats.partitioned, true);
  assert.equal(db.stats.shardsLoaded, 0);

  for (const text of ['a fox waiting by the harbour', 'the band plays jazz in the library', 'a robot fixing a motor']) {
    server.reset();
    const answer = await db.search({ text }, { k: 5, mode: 'vector' });
    assert.equal(answer.approximate, true);
    assert.equal(answer.partial, false);
    const fetched = partitionRequests();
    assert.ok(fetched.length <= 16, `${fetched.length} partitions fetched for one query (nprobe 16, the default)`);
    assert.equal(answer.partitionsRead, 16);
    // The same core over the whole site natively: the same items, the same scores.
    const native = nativeQuery(text, 5);
    assert.deepEqual(answer.results.map((result) => result.id), native.map((result) => result.id), text);
    answer.results.forEach((result, rank) => assert.ok(Math.abs(result.score - native[rank].score) < 1e-4));
    // Again: everything it needs is in memory.
    server.reset();
    const again = await db.search({ text }, { k: 5, mode: 'vector' });
    assert.deepEqual(partitionRequests(), []);
    assert.deepEqual(again.results.map((result) => result.id), answer.results.map((result) => result.id));
  }
  assert.ok(db.stats.shardsLoaded < manifest.partitions.length, 'three queries did not need every partition');
  db.close();
});

test('filters probe on until k items pass; more like this and classify work on fetched partitions', { skip }, async () => {
  const db = await open();
  const answer = await db.search({ text: 'a bear at the market' }, { k: 10, mode: 'vector', filter: { label: 'art' } });
  assert.equal(answer.results.length, 10);
  for (const result of answer.results) assert.equal(result.item.label, 'art');
  const native = nativeQuery('a bear at the market', 10, '--filter', 'label=art');
  assert.deepEqual(answer.results.map((result) => result.id), native.map((result) => result.id));

  const similar = await db.similar(answer.results[0].id, { k: 3 });
  assert.equal(similar.results.length, 3);
  assert.ok(!similar.results.some((result) => result.id === answer.results[0].id), 'the item itself is left out');
  const vote = await db.classify({ text: 'a bear at the market' }, { k: 5 });
  assert.ok(labels.includes(vote.label) || vote.label === 'unknown');
  assert.ok(vote.neighbours.length > 0);
  db.close();
});

test('the store keeps fetched partitions for the next open; a small memory budget evicts the least recently used', { skip }, async () => {
  const store = memoryStore();
  const first = await open({ storage: store });
  await first.search({ text: 'a kite over the lake' }, { k: 5, mode: 'vector' });
  const stored = await store.keys();
  assert.ok(stored.length > 0);
  first.close();

  server.reset();
  const second = await open({ storage: store });
  await second.search({ text: 'a kite over the lake' }, { k: 5, mode: 'vector' });
  assert.deepEqual(partitionRequests(), [], 'the second open reads the partitions from the store');
  second.close();

  const manifest = readManifest();
  const sizes = manifest.partitions.map((entry) => entry.bytes + entry.metadata.bytes);
  const averageBytes = sizes.reduce((total, size) => total + size, 0) / sizes.length;
  const largestBytes = Math.max(...sizes);
  // Room for about ten partitions: a few queries in different regions exceed it.
  const budget = 10 * averageBytes;
  const small = await open({ maxMemoryMB: budget / (1024 * 1024) });
  for (const text of ['a fox by the harbour', 'the teacher in the museum', 'a train near the volcano', 'bread at the market']) {
    await small.search({ text }, { k: 5, mode: 'vector' });
    // At most the budget, or the budget and the 16 partitions (nprobe) the last query read when they alone exceed it.
    assert.ok(small.stats.memoryBytes <= budget + 16 * largestBytes, `${small.stats.memoryBytes} bytes held, budget ${budget}`);
  }
  assert.ok(small.stats.partitionsEvicted > 0, 'some partitions were evicted');
  // An evicted partition is fetched again when a query needs it, and the answer is unchanged.
  const again = await small.search({ text: 'a fox by the harbour' }, { k: 5, mode: 'vector' });
  assert.deepEqual(again.results.map((result) => result.id), nativeQuery('a fox by the harbour', 5).map((result) => result.id));
  small.close();
});

test('refresh fetches only the changed partitions the client holds and finds the new item; prefetch fetches the rest', { skip }, async () => {
  const db = await open();
  const query = 'a purple octopus juggling teacups on the moon';
  await db.search({ text: query }, { k: 3, mode: 'vector' });
  const before = readManifest();
  const held = db.stats.shardsLoaded;
  writeFiles(collection, { 'animals/octopus.txt': 'A purple octopus juggles teacups on the moon.' });
  buildIndex();
  const afterwards = readManifest();
  assert.deepEqual(afterwards.centroids, before.centroids, 'an update keeps the centroid table');
  const changed = afterwards.partitions.filter((entry, position) => entry.hash !== before.partitions[position].hash);
  assert.ok(changed.length >= 1 && changed.length <= 2, `${changed.length} partitions changed`);

  server.reset();
  const refreshed = await db.refresh();
  assert.equal(refreshed.changed, true);
  const fetched = partitionRequests();
  assert.ok(fetched.every((file) => changed.some((entry) => entry.file === file)), 'only changed partitions are fetched');
  assert.equal(db.stats.shardsLoaded, held);
  const found = await db.search({ text: query }, { k: 1, mode: 'vector' });
  assert.equal(found.results[0].item.source, 'animals/octopus.txt');

  server.reset();
  const prefetched = await db.prefetch();
  assert.equal(prefetched.partitions, afterwards.partitions.length);
  assert.equal(db.complete, true);
  assert.equal(db.stats.shardsLoaded, afterwards.partitions.length);
  db.close();
});

test('with Range, a search fetches partition heads and only the re-ranked rows, and answers as whole partitions and native query', { skip }, async () => {
  const manifest = readManifest();
  const openRanged = (options = {}) => Mosaic.open(rangeServer.url, { storage: null, modelBaseUrl: `${rangeServer.url}model/`, ...options });
  const rangeRequests = () => rangeServer.state.requests.filter((request) => request.path.startsWith('/partitions/'));
  const store = memoryStore();
  // Range asked for: the client may not fall back to whole partitions on its own (the next test).
  const ranged = await openRanged({ storage: store, rangeRequests: true });
  const whole = await openRanged({ rangeRequests: false });
  const knobs = { k: 5, mode: 'vector', rerankDepth: 24 };
  for (const [text, extra] of [['a fox waiting by the harbour', {}], ['the band plays jazz in the library', { filter: { label: 'music' } }],
    ['a robot fixing a motor', { onePerDocument: false }]]) {
    rangeServer.reset();
    const networkBefore = ranged.stats.bytesFromNetwork;
    const answer = await ranged.search({ text }, { ...knobs, ...extra });
    const rangedBytes = ranged.stats.bytesFromNetwork - networkBefore;
    const requests = rangeRequests();
    assert.ok(requests.length > 0 && requests.every((request) => /^bytes=\d+-\d+$/.test(request.headers.range ?? '')),
      'every partition request is a Range request');
    const heads = requests.filter((request) => request.headers.range.startsWith('bytes=0-'));
    for (const request of heads) {
      const entry = manifest.partitions.find((partition) => `/${partition.file}` === request.path);
      assert.equal(request.headers.range, `bytes=0-${entry.head_bytes - 1}`, 'a head is bytes [0, head_bytes)');
    }
    assert.equal(answer.partitionsFetched, heads.length, 'one head request per partition fetched');
    assert.ok(heads.length <= answer.partitionsRead);

    const wholeBefore = whole.stats.bytesFromNetwork;
    const expected = await whole.search({ text }, { ...knobs, ...extra });
    const wholeBytes = whole.stats.bytesFromNetwork - wholeBefore;
    assert.deepEqual(answer.results.map((result) => [result.id, result.score]), expected.results.map((result) => [result.id, result.score]), text);
    const nativeOptions = ['--rerank-depth', '24', ...(extra.filter ? ['--filter', 'label=music'] : []), ...(extra.onePerDocument === false ? ['--all-chunks'] : [])];
    assert.deepEqual(answer.results.map((result) => result.id), nativeQuery(text, 5, ...nativeOptions).map((result) => result.id), text);
    assert.ok(rangedBytes < wholeBytes, `${rangedBytes} bytes by Range, ${wholeBytes} for whole partitions`);
    assert.ok(expected.partitionsRead === answer.partitionsRead);
  }
  assert.ok(ranged.stats.rangeRequests > 0);
  // More like this works on a result's row, which arrived for the re-rank.
  const first = await ranged.search({ text: 'a fox waiting by the harbour' }, knobs);
  const similar = await ranged.similar(first.results[0].id, { k: 3 });
  const similarWhole = await whole.similar(first.results[0].id, { k: 3 });
  assert.deepEqual(similar.results.map((result) => result.id), similarWhole.results.map((result) => result.id));
  ranged.close();
  whole.close();

  // The store keeps heads and row pieces by content hash and range: the same searches on a new open fetch nothing.
  const keys = await store.keys();
  assert.ok(keys.some((key) => /^[0-9a-f]{64}@0-\d+$/.test(key)), 'heads are stored by hash and range');
  assert.ok(keys.some((key) => /^[0-9a-f]{64}@[1-9]\d*-\d+$/.test(key)), 'row pieces are stored by hash and range');
  rangeServer.reset();
  const again = await openRanged({ storage: store, rangeRequests: true });
  await again.search({ text: 'a fox waiting by the harbour' }, knobs);
  assert.deepEqual(rangeRequests(), [], 'heads and rows come from the store');
  again.close();

  // A host that ignores Range (200 with the whole file): whole partitions, the same answer.
  server.reset();
  const plain = await open({ rangeRequests: true });
  const fallback = await plain.search({ text: 'a fox waiting by the harbour' }, knobs);
  assert.deepEqual(fallback.results.map((result) => [result.id, result.score]), first.results.map((result) => [result.id, result.score]));
  assert.equal(plain.stats.rangeRequests, 0, 'no row requests once the host sent a whole file');
  assert.ok(partitionRequests().length <= fallback.partitionsRead, 'each partition fetched once, whole');
  plain.close();
});

test('left to choose, the client stops Range reads for new partitions once they fetch most of the bytes whole files hold', { skip }, async () => {
  const openRanged = (options = {}) => Mosaic.open(rangeServer.url, { storage: null, modelBaseUrl: `${rangeServer.url}model/`, ...options });
  const partitionRequests = () => rangeServer.state.requests.filter((request) => request.path.startsWith('/partitions/'));
  const texts = ['a fox waiting by the harbour', 'the chess club paints a mural in the museum', 'a kite climbs a ladder near the volcano'];

  // A shallow re-rank reads a few rows of each probed partition: Range pays and the client keeps it.
  const shallow = await openRanged();
  for (const text of texts) await shallow.search({ text }, { k: 5, mode: 'vector', rerankDepth: 16 });
  assert.equal(shallow.stats.rangesStopped, false, 'a shallow re-rank keeps Range reads');
  assert.ok(shallow.stats.rangeRequests > 0);
  shallow.close();

  // A re-rank of every candidate reads every row of the probed partitions: after the first query the
  // client fetches partitions it does not hold whole, and answers as whole partitions do.
  const whole = await openRanged({ rangeRequests: false });
  const deep = await openRanged();
  const forced = await openRanged({ rangeRequests: true });
  const knobs = { k: 5, mode: 'vector', rerankDepth: 2000 };
  rangeServer.reset();
  const first = await deep.search({ text: texts[0] }, knobs);
  assert.ok(partitionRequests().every((request) => request.headers.range), 'the first query reads by Range');
  assert.equal(deep.stats.rangesStopped, true, 'Range reads that fetch nearly whole files stop');
  assert.deepEqual(first.results.map((result) => [result.id, result.score]),
    (await whole.search({ text: texts[0] }, knobs)).results.map((result) => [result.id, result.score]));
  const rangeRequestsBefore = deep.stats.rangeRequests;
  let wholeFetched = 0;
  for (const text of texts.slice(1)) {
    rangeServer.reset();
    const answer = await deep.search({ text }, knobs);
    const requests = partitionRequests();
    wholeFetched += requests.filter((request) => !request.headers.range).length;
    assert.equal(requests.filter((request) => request.headers.range?.startsWith('bytes=0-')).length, 0, 'no head is fetched alone');
    assert.deepEqual(answer.results.map((result) => [result.id, result.score]),
      (await whole.search({ text }, knobs)).results.map((result) => [result.id, result.score]), text);
    await forced.search({ text }, knobs);
  }
  assert.ok(wholeFetched > 0, 'new partitions came whole');
  assert.ok(deep.stats.rangeRequests >= rangeRequestsBefore, 'heads already held still take their rows by Range');
  // Asked for Range, the client keeps it whatever it costs.
  assert.equal(forced.stats.rangesStopped, false);
  deep.close();
  whole.close();
  forced.close();
});

test('rows close together share a request, and a partition takes at most four', { skip }, async () => {
  const { rowRuns, coveringPiece } = await import(pathToFileURL(path.join(webDirectory, 'lib', 'partition_ranges.mjs')).href);
  // Stride 772 (768 dimensions): rows at most 5 apart (4 kB) share a run; repeats and order do not matter.
  assert.deepEqual(rowRuns([9, 1, 3, 3, 40], 772, 4096, 8), [{ first: 1, count: 9 }, { first: 40, count: 1 }]);
  // Ten scattered rows: the nearest runs are joined until four are left, every wanted row inside one.
  const wanted = [1, 2, 3, 50, 52, 100, 200, 201, 300, 900];
  const runs = rowRuns(wanted, 772);
  assert.deepEqual(runs, [{ first: 1, count: 100 }, { first: 200, count: 2 }, { first: 300, count: 1 }, { first: 900, count: 1 }]);
  for (const row of wanted) assert.ok(runs.some((run) => run.first <= row && row < run.first + run.count), `row ${row}`);
  assert.deepEqual(coveringPiece([[0, 100], [772, 7720]], 1544, 2316), [772, 7720]);
  // Range reads pay while they fetch at most two thirds of the whole files' bytes, judged after 8 partitions.
  const { rangesPay } = await import(pathToFileURL(path.join(webDirectory, 'lib', 'partition_ranges.mjs')).href);
  assert.equal(rangesPay({ rangeBytes: 900, wholeBytes: 1000, partitions: 7 }), true);
  assert.equal(rangesPay({ rangeBytes: 600, wholeBytes: 1000, partitions: 8 }), true);
  assert.equal(rangesPay({ rangeBytes: 700, wholeBytes: 1000, partitions: 8 }), false);
  assert.equal(coveringPiece([[0, 100], [772, 1544]], 1544, 2316), undefined);
});
