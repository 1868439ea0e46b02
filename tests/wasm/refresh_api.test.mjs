// db.refresh() and db.watch() (mosaic.mjs) against a site the native CLI re-indexes while the index is
// open, served by the tests' static server: only the shards of the new generation that are new are
// fetched, kept shards are not fetched again, files no longer named leave the store, and the new
// item is found; searches during a refresh answer from the old generation; a refused manifest or
// shard rejects with a coded error and leaves the open index answering; on a static host (no
// /api/events) watch() polls the manifest. Run by ctest in build-wasm like search_api.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { runMosaic, sampleFiles, writeFiles } from '../support/sample_collection.mjs';
import { startStaticServer } from '../support/static_server.mjs';
import { rejectsWithMosaicError } from '../support/mosaic_errors.mjs';
import { requiredPaths } from '../support/test_environment.mjs';

const { MOSAIC_WEB_DIR: webDirectory, MOSAIC_NATIVE_CLI: nativeCli, MOSAIC_MODEL_DIR: modelDirectory, skip } =
  requiredPaths(['MOSAIC_WEB_DIR', 'MOSAIC_NATIVE_CLI', 'MOSAIC_MODEL_DIR'], 'run through ctest after make native');

let Mosaic, MosaicError, memoryStore;
let root, server;

before(async () => {
  if (skip) return;
  ({ Mosaic, MosaicError, memoryStore } = await import(pathToFileURL(path.join(webDirectory, 'mosaic.mjs')).href));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-refresh-api-'));
});

after(async () => {
  if (server) await server.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

// A site of its own per test (two items a shard, so a new item changes only some shards).
async function makeSite(name) {
  const collection = path.join(root, name, 'collection');
  const site = path.join(root, name, 'site');
  writeFiles(collection, sampleFiles);
  const build = () => runMosaic(nativeCli, ['index', collection, '--out', site, '--shard-items', '2', '--model-dir', modelDirectory]);
  build();
  if (server) await server.close();
  server = await startStaticServer([['model/', modelDirectory], ['', site]]);
  const manifest = () => JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  const addFile = (relative, text) => {
    writeFiles(collection, { [relative]: text });
    build();
  };
  return { collection, site, manifest, addFile };
}

const open = (options = {}) => Mosaic.open(server.url, { modelBaseUrl: `${server.url}model/`, ...options });
const fileRequests = () => server.state.requests.filter((request) => /^\/(shards|items)\//.test(request.path)).map((request) => request.path.slice(1));
const namedFiles = (manifest) => manifest.shards.flatMap((shard) => [shard.file, shard.metadata.file]);
const namedHashes = (manifest) => manifest.shards.flatMap((shard) => [shard.hash, shard.metadata.hash]);
const octopus = 'The octopus has eight arms and changes colour to hide on the coral reef.';
const firstSource = async (db, text) => (await db.search({ text }, { k: 1 })).results[0]?.item.source;

// MosaicError is the class of the build under test, loaded in before().
const rejectsWithCode = (promise, code) => rejectsWithMosaicError(promise, code, MosaicError);

test('refresh fetches only the new shards, keeps the others, evicts the old files and finds the new item', { skip }, async () => {
  const sample = await makeSite('refresh');
  const store = memoryStore();
  const db = await open({ storage: store });
  await db.ready;
  const before = sample.manifest();
  assert.deepEqual((await store.keys()).sort(), namedHashes(before).sort());
  assert.notEqual(await firstSource(db, 'eight arms under the sea'), 'sea/octopus.txt');
  const unchanged = await db.refresh();
  assert.equal(unchanged.changed, false);

  sample.addFile('sea/octopus.txt', octopus);
  const afterwards = sample.manifest();
  assert.equal(afterwards.generation, before.generation + 1);
  const newFiles = namedFiles(afterwards).filter((file) => !namedFiles(before).includes(file));
  const goneFiles = namedFiles(before).filter((file) => !namedFiles(afterwards).includes(file));
  assert.ok(newFiles.length > 0 && newFiles.length < namedFiles(afterwards).length, 'some shards are new and some are kept');
  server.reset();
  const outcome = await db.refresh();
  assert.equal(outcome.changed, true);
  assert.equal(outcome.generation, afterwards.generation);
  assert.equal(outcome.previousGeneration, before.generation);
  assert.deepEqual(fileRequests().sort(), newFiles.sort(), 'only the new files were fetched');
  assert.deepEqual(outcome.added.sort(), afterwards.shards.filter((shard) => newFiles.includes(shard.file)).map((shard) => shard.file).sort());
  assert.deepEqual(outcome.removed.sort(), before.shards.filter((shard) => goneFiles.includes(shard.file)).map((shard) => shard.file).sort());
  assert.equal(outcome.kept, afterwards.shards.length - outcome.added.length);
  const newBytes = afterwards.shards.filter((shard) => newFiles.includes(shard.file)).reduce((total, shard) => total + shard.bytes + shard.metadata.bytes, 0);
  assert.equal(outcome.bytes, newBytes);
  assert.equal(outcome.items, before.item_count + 1);
  assert.equal(outcome.itemsBefore, before.item_count);
  // The manifest went uncached, with the ETag-less static server answering 200 (no 304 without an ETag).
  const manifestRequest = server.state.requests.find((request) => request.path === '/manifest.json');
  assert.equal(manifestRequest.headers['cache-control'], 'no-cache');

  assert.equal(db.manifest.generation, afterwards.generation);
  assert.equal(db.stats.items, afterwards.item_count);
  assert.equal(db.stats.shardsLoaded, afterwards.shards.length);
  assert.equal(db.complete, true);
  assert.equal(await firstSource(db, 'eight arms under the sea'), 'sea/octopus.txt');
  assert.equal(await firstSource(db, 'the fastest land animal'), 'animals/cheetah.txt');
  assert.equal(db.items().length, afterwards.item_count);
  assert.equal(db.item(db.items().find((item) => item.source === 'sea/octopus.txt').id).title.length > 0, true);
  // The store holds exactly what the new manifest names.
  assert.deepEqual((await store.keys()).sort(), namedHashes(afterwards).sort());
  // A reopen finds everything in the store: nothing downloaded.
  server.reset();
  const reopened = await open({ storage: store });
  await reopened.ready;
  assert.deepEqual(fileRequests(), []);
  assert.equal(reopened.stats.items, afterwards.item_count);
  reopened.close();
  db.close();
  await rejectsWithCode(db.refresh(), 'invalid_argument');
});

test('searches during a refresh answer from the old generation until the new one is swapped in', { skip }, async () => {
  const sample = await makeSite('during');
  const db = await open({ storage: null });
  await db.ready;
  sample.addFile('sea/octopus.txt', octopus);
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let heldBack = 0;
  server.state.hooks.hold = (relative) => {
    if (!relative.startsWith('shards/')) return undefined;
    heldBack += 1;
    return held;
  };
  const refreshing = db.refresh();
  while (heldBack === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const during = await db.search({ text: 'eight arms under the sea' }, { k: 3 });
  assert.equal(during.partial, false);
  assert.ok(during.results.every((result) => result.item.source !== 'sea/octopus.txt'));
  assert.equal(db.manifest.generation, 1);
  assert.equal(db.refresh(), refreshing, 'a second caller shares the refresh under way');
  release();
  const outcome = await refreshing;
  assert.equal(outcome.changed, true);
  assert.equal(await firstSource(db, 'eight arms under the sea'), 'sea/octopus.txt');
  db.close();
});

test('a refused manifest or shard rejects with its code and the open index keeps answering', { skip }, async () => {
  const sample = await makeSite('refused');
  const store = memoryStore();
  const db = await open({ storage: store });
  await db.ready;
  const generation = db.manifest.generation;
  const storedBefore = (await store.keys()).sort();
  const stillAnswers = async () => {
    assert.equal(db.manifest.generation, generation);
    assert.equal(await firstSource(db, 'the fastest land animal'), 'animals/cheetah.txt');
    assert.equal(db.stats.items, Object.keys(sampleFiles).length);
    assert.deepEqual((await store.keys()).sort(), storedBefore);
  };
  sample.addFile('sea/octopus.txt', octopus);
  const newShard = sample.manifest().shards.find((shard) => !storedBefore.includes(shard.hash));

  server.state.hooks.transform = (relative, bytes) => relative === 'manifest.json'
    ? Buffer.from(JSON.stringify({ ...JSON.parse(bytes), format_version: 99 })) : bytes;
  await rejectsWithCode(db.refresh(), 'unsupported_manifest_version');
  await stillAnswers();

  server.state.hooks.transform = (relative, bytes) => relative === 'manifest.json' ? Buffer.from('{"generation": ') : bytes;
  await rejectsWithCode(db.refresh(), 'invalid_json');
  await stillAnswers();

  server.state.hooks.transform = (relative, bytes) => {
    if (relative !== newShard.file) return bytes;
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 1] ^= 0x01;
    return damaged;
  };
  await assert.rejects(db.refresh(), (error) => {
    assert.ok(error instanceof MosaicError);
    assert.equal(error.code, 'checksum_mismatch');
    assert.equal(error.file, newShard.file);
    assert.match(error.message, new RegExp(newShard.file));
    return true;
  });
  await stillAnswers();
  assert.notEqual(await firstSource(db, 'eight arms under the sea'), 'sea/octopus.txt');

  // Mended on the host: the next refresh takes it.
  server.state.hooks.transform = undefined;
  const outcome = await db.refresh();
  assert.equal(outcome.changed, true);
  assert.equal(await firstSource(db, 'eight arms under the sea'), 'sea/octopus.txt');
  db.close();
});

test('watch on a static host polls the manifest and reports each update', { skip }, async () => {
  const sample = await makeSite('watch');
  const updates = [];
  const errors = [];
  const db = await open({ storage: null, watch: true, pollInterval: 100, onUpdate: (update) => updates.push(update), onError: (error) => errors.push(error) });
  await db.ready;
  // No /api/events here: the one request to it got a 404, then polling began.
  const waitFor = async (condition) => {
    const deadline = Date.now() + 20000;
    while (!condition()) {
      assert.ok(Date.now() < deadline, 'timed out');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await waitFor(() => server.state.requests.filter((request) => request.path === '/manifest.json').length >= 3);
  assert.ok(server.state.requests.some((request) => request.path === '/api/events'));
  assert.deepEqual(updates, []);
  sample.addFile('sea/octopus.txt', octopus);
  await waitFor(() => updates.length === 1);
  assert.equal(updates[0].generation, 2);
  assert.equal(updates[0].items, Object.keys(sampleFiles).length + 1);
  assert.equal(await firstSource(db, 'eight arms under the sea'), 'sea/octopus.txt');
  assert.deepEqual(errors, []);
  db.close();
  // Closed: no more polls.
  const count = server.state.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(server.state.requests.length, count);
});
