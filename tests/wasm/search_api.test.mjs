// The JavaScript API (mosaic.mjs over the mosaic-core wasm module) against an index the native CLI
// builds, served by the tests' static server (tests/support/static_server.mjs): loading with progress, text and vector search
// with the same scores as native `mosaic query`, more like this, the label vote, filters, partial
// results while a shard is held back, a corrupt shard refused, manifests refused, the shard store
// (nothing downloaded twice, only new shards after a rebuild, old ones evicted), the embedding proxy
// path, and image preparation.
// Run by ctest in build-wasm: node --test with MOSAIC_WEB_DIR (build-wasm/web), MOSAIC_NATIVE_CLI
// (the native build's mosaic) and MOSAIC_MODEL_DIR (the local model's files) set.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { makeMp3, makePng, makeWav, mp3FrameBytes, readWavHeader } from '../support/media_fixtures.mjs';
import { runMosaic, sampleFiles, writeFiles } from '../support/sample_collection.mjs';
import { startStaticServer } from '../support/static_server.mjs';
import { rejectsWithMosaicError } from '../support/mosaic_errors.mjs';
import { requiredPaths } from '../support/test_environment.mjs';

const { MOSAIC_WEB_DIR: webDirectory, MOSAIC_NATIVE_CLI: nativeCli, MOSAIC_MODEL_DIR: modelDirectory, skip } =
  requiredPaths(['MOSAIC_WEB_DIR', 'MOSAIC_NATIVE_CLI', 'MOSAIC_MODEL_DIR'], 'run through ctest after make native');

const scoreTolerance = 1e-4;
const shardItems = 2;  // several shards, so partial results and single-shard rebuilds can be seen

// The shared sample collection, and one file outside the label folders.
const files = { ...sampleFiles, 'notes.txt': 'Remember to water the plants and call the plumber about the leaking tap.' };

let Mosaic, MosaicError, memoryStore;
let root, collection, site, server;

const mosaic = (...args) => runMosaic(nativeCli, args);
const buildIndex = () => mosaic('index', collection, '--out', site, '--shard-items', String(shardItems), '--model-dir', modelDirectory);
const readManifest = () => JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
const nativeQuery = (text, k, ...options) => JSON.parse(mosaic('query', site, text, '-k', String(k), '--json', '--model-dir', modelDirectory, ...options)).results;
const nativeEmbedding = (text) => JSON.parse(mosaic('embed', text, '--json', '--model-dir', modelDirectory)).vector;

const reset = () => server.reset();
const shardRequests = () => server.state.requests.filter((request) => request.path.startsWith('/shards/'));
const open = (options = {}) => Mosaic.open(server.url, { storage: null, modelBaseUrl: `${server.url}model/`, ...options });

// MosaicError is the class of the build under test, loaded in before().
const rejectsWithCode = (promise, code) => rejectsWithMosaicError(promise, code, MosaicError);

before(async () => {
  if (skip) return;
  ({ Mosaic, MosaicError, memoryStore } = await import(pathToFileURL(path.join(webDirectory, 'mosaic.mjs')).href));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-search-api-'));
  collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, files);
  buildIndex();
  // The site at the root and the model's files under /model/.
  server = await startStaticServer([['model/', modelDirectory], ['', site]]);
});

after(async () => {
  if (server) await server.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('open loads every shard with byte-level progress and reads the manifest uncached', { skip }, async () => {
  reset();
  const manifest = readManifest();
  assert.ok(manifest.shards.length >= 3, 'the index has several shards');
  const events = [];
  const db = await open({ onProgress: (progress) => events.push(progress) });
  const outcome = await db.ready;
  assert.equal(outcome.shardsLoaded, manifest.shards.length);
  assert.equal(outcome.shardsFailed, 0);
  assert.equal(db.complete, true);
  const totalBytes = manifest.shards.reduce((total, shard) => total + shard.bytes + shard.metadata.bytes, 0);
  assert.ok(events.length > manifest.shards.length * 2, `${events.length} progress events`);
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i].loadedBytes >= events[i - 1].loadedBytes, 'loadedBytes never goes back');
    assert.ok(events[i].shardsLoaded >= events[i - 1].shardsLoaded);
  }
  for (const event of events) assert.equal(event.totalBytes, totalBytes);
  assert.ok(events.some((event) => event.loadedBytes > 0 && event.loadedBytes < totalBytes), 'progress within the download');
  assert.deepEqual(events.at(-1), { loadedBytes: totalBytes, totalBytes, shardsLoaded: manifest.shards.length, shardsFailed: 0,
    shardsTotal: manifest.shards.length });
  const stats = db.stats;
  assert.equal(stats.items, manifest.item_count);
  assert.equal(stats.shardsFromNetwork, manifest.shards.length);
  assert.equal(stats.bytesFromNetwork, totalBytes);
  assert.equal(db.manifest.generation, manifest.generation);
  assert.equal(db.usesLocalModel, true);
  // The core's measured close-match similarity of the local model (shared/search/close_match.hpp).
  assert.ok(db.closeMatchSimilarity > 0 && db.closeMatchSimilarity < 1, `closeMatchSimilarity ${db.closeMatchSimilarity}`);
  const manifestRequest = server.state.requests.find((request) => request.path === '/manifest.json');
  // fetch's cache mode 'no-store' never answers from a cache: the request carries no-cache.
  assert.equal(manifestRequest.headers['cache-control'], 'no-cache');
  db.close();
});

test('text search finds the expected item first, with the scores native mosaic query reports', { skip }, async () => {
  reset();
  const db = await open();
  await db.ready;
  const expectations = [['which animal runs fastest', 'animals/cheetah.txt'], ['how do I cook dinner', 'food/soup.md'],
    ['company earnings this quarter', 'finance/report.txt']];
  const k = Object.keys(files).length;
  let largestDifference = 0;
  for (const [text, expectedSource] of expectations) {
    const answer = await db.search({ text }, { k });
    assert.equal(answer.partial, false);
    assert.equal(answer.results[0].item.source, expectedSource, text);
    const native = nativeQuery(text, k);
    assert.equal(answer.results.length, native.length);
    native.forEach((expected, rank) => {
      assert.equal(answer.results[rank].id, expected.id, `rank ${rank} of '${text}'`);
      largestDifference = Math.max(largestDifference, Math.abs(answer.results[rank].score - expected.score));
      assert.ok(Math.abs(answer.results[rank].score - expected.score) <= scoreTolerance,
        `'${text}' rank ${rank}: wasm ${answer.results[rank].score}, native ${expected.score}`);
      assert.deepEqual(answer.results[rank].item, expected.item, "the same item object as mosaic query --json");
    });
  }
  console.log(`wasm versus native scores: ${expectations.length} queries x ${k} results, largest difference ${largestDifference}`);
  db.close();
});

test('every result carries the core\'s close-match decision and its meaning similarity', { skip }, async () => {
  reset();
  const db = await open();
  await db.ready;
  const cutOff = db.closeMatchSimilarity;
  const k = Object.keys(files).length;
  // Vector mode: the score is the similarity, and close is decided by the model's figure alone.
  const meaning = await db.search({ text: 'which animal runs fastest' }, { k, mode: 'vector' });
  assert.ok(meaning.results.some((result) => result.close) && meaning.results.some((result) => !result.close),
    'the collection holds both close and weaker matches of this query');
  for (const result of meaning.results) {
    assert.equal(result.similarity, result.score);
    assert.equal(result.close, result.similarity >= cutOff, `${result.item.source} at ${result.similarity}`);
  }
  // Hybrid: the score is fused; each result's own similarity, or the query's words, decide.
  const hybrid = await db.search({ text: 'which animal runs fastest' }, { k });
  assert.equal(hybrid.mode, 'hybrid');
  const similarityOf = new Map(meaning.results.map((result) => [result.id, result.similarity]));
  for (const result of hybrid.results) {
    assert.ok(Math.abs(result.similarity - similarityOf.get(result.id)) < 0.02, 'the same similarity as in vector mode');
    assert.equal(result.close, (result.matchedTerms?.length ?? 0) > 0 || result.similarity >= cutOff);
  }
  // Nonsense reaches no item closely.
  const nonsense = await db.search({ text: 'qwzx' }, { k, mode: 'vector' });
  assert.ok(nonsense.results.length > 0 && nonsense.results.every((result) => !result.close), 'no close match for qwzx');
  db.close();
});

test('a text query over the local model\'s window says how many of its words were used', { skip }, async () => {
  reset();
  const db = await open();
  await db.ready;
  // "cat" is one token, so 200 of them overrun the 128-token window by 72.
  const long = Array.from({ length: 200 }, () => 'cat').join(' ');
  const answer = await db.search({ text: long }, { k: 2, mode: 'vector' });
  assert.deepEqual(answer.truncation, { tokenCount: 200, tokensRead: 128, wordCount: 200, wordsRead: 128 });
  const embedded = await db.embedQuery({ text: long });
  assert.deepEqual(embedded.truncation, answer.truncation);
  // The words past the window change nothing.
  const read = await db.embed({ text: Array.from({ length: 128 }, () => 'cat').join(' ') });
  assert.deepEqual([...read], [...embedded.vector]);
  // A short query, a vector and a word search: nothing was cut, nothing is said.
  assert.equal((await db.search({ text: 'which animal runs fastest' }, { k: 2 })).truncation, undefined);
  assert.equal((await db.embedQuery({ text: 'which animal runs fastest' })).truncation, undefined);
  assert.equal((await db.search(read, { k: 2 })).truncation, undefined);
  assert.equal((await db.search({ text: long }, { k: 2, mode: 'keyword' })).truncation, undefined);
  db.close();
});

test('a vector query (Float32Array or array) searches like the text it embeds; bad vectors are refused', { skip }, async () => {
  reset();
  const db = await open();
  await db.ready;
  const text = 'birds of prey hunting in the sky';
  const vector = nativeEmbedding(text);
  // A vector is searched by the vector scan alone: the native text query in vector mode is the same search.
  const native = nativeQuery(text, 3, '--mode', 'vector');
  for (const query of [Float32Array.from(vector), vector, { vector }]) {
    const answer = await db.search(query, { k: 3 });
    assert.deepEqual(answer.results.map((result) => result.id), native.map((result) => result.id));
    answer.results.forEach((result, rank) => assert.ok(Math.abs(result.score - native[rank].score) <= scoreTolerance));
  }
  await rejectsWithCode(db.search(new Float32Array(vector.length - 1)), 'dimension_mismatch');
  await rejectsWithCode(db.search(new Float32Array(vector.length)), 'zero_vector');
  await rejectsWithCode(db.search('a bare string'), 'invalid_argument');
  await rejectsWithCode(db.search(vector, { k: 0 }), 'invalid_argument');
  db.close();
});

test('embed returns the searched vector once, for search and classify; items lists every loaded item', { skip }, async () => {
  reset();
  const db = await open();
  await db.ready;
  const text = 'which animal runs fastest';
  const vector = await db.embed({ text });
  assert.ok(vector instanceof Float32Array);
  assert.equal(vector.length, db.manifest.dimensions);
  assert.ok(Math.abs(vector.reduce((total, value) => total + value * value, 0) - 1) < 1e-5, 'a unit vector');
  const byText = await db.search({ text }, { k: 3, mode: 'vector' });
  const byVector = await db.search(vector, { k: 3 });
  assert.deepEqual(byVector.results.map((result) => result.id), byText.results.map((result) => result.id));
  byVector.results.forEach((result, rank) => assert.ok(Math.abs(result.score - byText.results[rank].score) <= 1e-6));
  assert.equal((await db.classify(vector, { k: 3 })).label, (await db.classify({ text }, { k: 3 })).label);
  await rejectsWithCode(db.embed('a bare string'), 'invalid_argument');
  const items = db.items();
  assert.equal(items.length, db.stats.items);
  assert.deepEqual(items.map((item) => item.source).sort(), [...new Set(items.map((item) => item.source))].sort());
  assert.deepEqual(new Set(items.map((item) => item.source)), new Set(Object.keys(files)));
  // The core keeps the metadata and makes objects on demand: items() follows the manifest's shard
  // order with the files' own fields, item(id) finds each of them, and a result's item is the same metadata.
  const fileItems = readManifest().shards.flatMap((shard) =>
    JSON.parse(fs.readFileSync(path.join(site, shard.metadata.file), 'utf8')).items);
  assert.deepEqual(items, fileItems);
  for (const item of items) assert.deepEqual(db.item(item.id), item);
  assert.equal(db.item('00000000000000ff'), undefined, 'an id no loaded shard holds');
  assert.equal(db.item('not an id'), undefined);
  for (const result of byText.results) assert.deepEqual(result.item, db.item(result.id));
  db.close();
  assert.equal(db.item(items[0].id), undefined, 'a closed index has no items');
  assert.deepEqual(db.items(), []);
});

test('similar uses the stored vector, leaves the item out and needs no embedding', { skip }, async () => {
  reset();
  const db = await open({ modelBaseUrl: `${server.url}no-model-here/` });  // any model load would fail
  await db.ready;
  const cheetah = (await db.search(nativeEmbedding('cheetah'), { k: 1 })).results[0];
  assert.equal(cheetah.item.source, 'animals/cheetah.txt');
  const total = db.stats.items;
  const answer = await db.similar(cheetah.id, { k: total });
  assert.equal(answer.results.length, total - 1);
  assert.ok(answer.results.every((result) => result.id !== cheetah.id));
  for (let i = 1; i < answer.results.length; i++) assert.ok(answer.results[i - 1].score >= answer.results[i].score);
  assert.equal(answer.results[0].item.label, 'animals', 'the nearest other item to the cheetah is another animal');
  const filtered = await db.similar(cheetah.id, { k: total, filter: { label: 'food' } });
  assert.deepEqual(filtered.results.map((result) => result.item.label), ['food', 'food']);
  await rejectsWithCode(db.similar('00000000000000ff'), 'invalid_argument');
  await rejectsWithCode(db.similar('not an id'), 'invalid_argument');
  assert.ok(!server.state.requests.some((request) => request.path.startsWith('/no-model-here/')), 'no model file was fetched');
  db.close();
});

test('classify votes with the labelled neighbours and says unknown under the threshold', { skip }, async () => {
  reset();
  const db = await open();
  await db.ready;
  const animal = await db.classify({ text: 'a wild cat chasing its prey' }, { k: 3 });
  assert.equal(animal.label, 'animals');
  assert.equal(animal.known, true);
  assert.ok(animal.confidence > 0.5 && animal.confidence <= 1);
  assert.ok(animal.votes >= 2);
  assert.equal(animal.considered, 3);
  assert.ok(animal.neighbours.every((neighbour) => neighbour.item.label !== undefined), 'only labelled items vote');
  const best = animal.neighbours[0].score;
  const unsure = await db.classify({ text: 'a wild cat chasing its prey' }, { k: 3, threshold: best + 0.01 });
  assert.equal(unsure.label, 'unknown');
  assert.equal(unsure.known, false);
  const food = await db.classify(nativeEmbedding('baking and cooking recipes'), { k: 1 });
  assert.equal(food.label, 'food');
  db.close();
});

test('filters by modality, label and tag are applied in the scan', { skip }, async () => {
  reset();
  const db = await open();
  await db.ready;
  const query = { text: 'animals' };
  const all = db.stats.items;
  assert.equal((await db.search(query, { k: all, filter: { modality: 'image' } })).results.length, 0);
  assert.equal((await db.search(query, { k: all, filter: { modality: ['text', 'image'] } })).results.length, all);
  const food = await db.search(query, { k: all, filter: { label: 'food' } });
  assert.deepEqual(food.results.map((result) => result.item.label).sort(), ['food', 'food']);
  const either = await db.search(query, { k: all, filter: { label: ['food', 'finance'] } });
  assert.equal(either.results.length, 3);
  assert.equal((await db.search(query, { k: all, filter: { label: 'unicorns' } })).results.length, 0);
  assert.equal((await db.search(query, { k: all, filter: { tag: 'never-used' } })).results.length, 0);
  await rejectsWithCode(db.search(query, { filter: { modality: 'hologram' } }), 'invalid_argument');
  await rejectsWithCode(db.search(query, { filter: { label: 42 } }), 'invalid_argument');
  db.close();
});

test('search works before every shard is in, and says the results are partial', { skip }, async () => {
  reset();
  const manifest = readManifest();
  const heldBack = manifest.shards[1];
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  server.state.hooks.hold = (relative) => (relative === heldBack.file ? released : undefined);
  let othersLoaded;
  const othersIn = new Promise((resolve) => { othersLoaded = resolve; });
  const db = await open({ onProgress: (progress) => progress.shardsLoaded === manifest.shards.length - 1 && othersLoaded() });
  // open resolves as soon as one shard is searchable.
  const first = await db.search({ text: 'animals' }, { k: 100 });
  assert.equal(first.partial, true);
  assert.ok(first.shardsSearched >= 1 && first.shardsSearched < manifest.shards.length);
  await othersIn;
  assert.equal(db.complete, false);
  const heldIds = new Set(JSON.parse(fs.readFileSync(path.join(site, heldBack.metadata.file), 'utf8')).items.map((item) => item.id));
  const early = await db.search({ text: 'animals' }, { k: 100 });
  assert.equal(early.partial, true);
  assert.equal(early.shardsSearched, manifest.shards.length - 1);
  assert.equal(early.results.length, manifest.item_count - heldIds.size);
  assert.ok(early.results.every((result) => !heldIds.has(result.id)));
  assert.equal((await db.classify({ text: 'animals' })).partial, true);
  release();
  await db.ready;
  const complete = await db.search({ text: 'animals' }, { k: 100 });
  assert.equal(complete.partial, false);
  assert.equal(complete.results.length, manifest.item_count);
  assert.ok(complete.results.some((result) => heldIds.has(result.id)));
  db.close();
});

test('a corrupt shard is refused with its error and never stored; the rest still searches', { skip }, async () => {
  reset();
  const manifest = readManifest();
  const corrupt = manifest.shards[1];
  server.state.hooks.transform = (relative, bytes) => {
    if (relative !== corrupt.file) return bytes;
    const flipped = Buffer.from(bytes);
    flipped[100] ^= 0x01;
    return flipped;
  };
  const store = memoryStore();
  const reported = [];
  const db = await open({ storage: store, onError: (error) => reported.push(error) });
  const outcome = await db.ready;
  assert.equal(outcome.shardsFailed, 1);
  assert.equal(outcome.shardsLoaded, manifest.shards.length - 1);
  assert.equal(db.errors.length, 1);
  const [error] = db.errors;
  assert.ok(error instanceof MosaicError);
  assert.equal(error.code, 'checksum_mismatch');
  assert.equal(error.file, corrupt.file);
  assert.match(error.message, new RegExp(corrupt.hash));
  assert.deepEqual(reported, [error]);
  const keys = await store.keys();
  assert.ok(!keys.includes(corrupt.hash), 'the corrupt bytes were not stored');
  assert.equal(keys.length, 2 * (manifest.shards.length - 1));
  const corruptIds = new Set(JSON.parse(fs.readFileSync(path.join(site, corrupt.metadata.file), 'utf8')).items.map((item) => item.id));
  const answer = await db.search({ text: 'which animal runs fastest' }, { k: 100 });
  assert.equal(answer.partial, true, 'a refused shard leaves the results partial');
  assert.equal(answer.results.length, manifest.item_count - corruptIds.size);
  assert.ok(answer.results.every((result) => !corruptIds.has(result.id)));
  db.close();

  // When every shard is bad, open itself fails with the first shard's error.
  server.state.hooks.transform = (relative, bytes) => (relative.startsWith('shards/') ? bytes.subarray(0, 40) : bytes);
  await rejectsWithCode(open(), 'checksum_mismatch');
});

test('manifests of an unknown format version or model shape are refused with their codes', { skip }, async () => {
  const edits = [
    [(manifest) => ({ ...manifest, format_version: 99 }), 'unsupported_manifest_version', /99/],
    [(manifest) => ({ ...manifest, full_dimensions: manifest.full_dimensions * 2 }), 'invalid_manifest', /512/],
    [(manifest) => ({ ...manifest, format: 'something-else' }), 'invalid_manifest', /format/],
  ];
  for (const [edit, code, pattern] of edits) {
    reset();
    server.state.hooks.transform = (relative, bytes) =>
      (relative === 'manifest.json' ? Buffer.from(JSON.stringify(edit(JSON.parse(bytes.toString('utf8'))))) : bytes);
    await assert.rejects(open(), (error) => {
      assert.equal(error.code, code);
      assert.match(error.message, pattern);
      assert.match(error.message, /manifest\.json/);
      return true;
    });
    assert.equal(shardRequests().length, 0, 'no shard is fetched for a refused manifest');
  }
});

test('text, image and audio queries of a non-local index go to the proxy; a local index refuses media', { skip }, async () => {
  reset();
  const local = await open();
  await local.ready;
  const png = makePng({ width: 64, height: 48, gray: 90 });
  await rejectsWithCode(local.search({ image: png }), 'unsupported_media');
  await rejectsWithCode(local.search({ audio: new Uint8Array(16) }), 'unsupported_media');
  local.close();

  const model = 'gemini-embedding-2';
  server.state.hooks.transform = (relative, bytes) =>
    (relative === 'manifest.json' ? Buffer.from(JSON.stringify({ ...JSON.parse(bytes.toString('utf8')), model })) : bytes);
  const asked = [];
  server.state.hooks.post = (urlPath, body) => {
    asked.push({ body, urlPath });
    const part = body.inputs[0].parts[0];
    const text = part.text ?? 'a fast animal';  // media parts: the proxy here answers as if they showed one
    return { body: { model, dimensions: body.dimensions, embeddings: [nativeEmbedding(text)] } };
  };
  const db = await open({ proxyUrl: `${server.url}proxy/` });
  await db.ready;
  assert.equal(db.usesLocalModel, false);
  assert.equal(db.closeMatchSimilarity, undefined, 'no figure was measured for this model');
  const text = 'which animal runs fastest';
  const answer = await db.search({ text }, { k: 3 });
  assert.ok(answer.results.every((result) => result.close), 'without a measured figure every result counts as close');
  const native = nativeQuery(text, 3);
  assert.deepEqual(answer.results.map((result) => result.id), native.map((result) => result.id));
  assert.deepEqual(asked[0].body, { inputs: [{ parts: [{ text }] }], task: 'query', dimensions: readManifest().dimensions });
  assert.equal(asked[0].urlPath, '/proxy/api/embed');

  const wide = makePng({ width: 2000, height: 500, gray: 200 });
  await db.search({ image: new Blob([wide], { type: 'image/png' }) }, { k: 1 });
  const imagePart = asked[1].body.inputs[0].parts[0];
  assert.equal(imagePart.mime_type, 'image/jpeg');
  const uploaded = Buffer.from(imagePart.data, 'base64');
  assert.deepEqual([...uploaded.subarray(0, 3)], [0xff, 0xd8, 0xff], 'the image was re-encoded as JPEG');
  assert.deepEqual(jpegSize(uploaded), { width: 1024, height: 256 }, 'resized to the default longest side');
  // A PNG that fits goes as it is (its bytes, caption chunks included), as the proxy and the indexer send it.
  await db.search({ image: png }, { k: 1 });
  assert.equal(asked[2].body.inputs[0].parts[0].mime_type, 'image/png');
  assert.deepEqual(Buffer.from(asked[2].body.inputs[0].parts[0].data, 'base64'), png);
  // WAV goes as it is; audio that must be decoded first needs Web Audio, which Node does not have.
  const wav = makeWav({ comment: 'a church bell ringing' });
  await db.search({ audio: new Blob([wav], { type: 'audio/wav' }) }, { k: 1 });
  assert.equal(asked[3].body.inputs[0].parts[0].mime_type, 'audio/wav');
  assert.deepEqual(Buffer.from(asked[3].body.inputs[0].parts[0].data, 'base64'), wav);
  const oggHeader = Buffer.from([0x4f, 0x67, 0x67, 0x53, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02]);
  await assert.rejects(db.search({ audio: oggHeader }), (error) => error.code === 'unsupported_media' && /Web Audio/.test(error.message));
  await rejectsWithCode(db.search({ audio: png }), 'unsupported_media');
  assert.equal(asked.length, 4, 'refused audio never reaches the proxy');

  server.state.hooks.post = () => ({ body: { model: 'another-model', embeddings: [nativeEmbedding('x')] } });
  await rejectsWithCode(db.search({ text }), 'model_mismatch');
  server.state.hooks.post = () => ({ status: 503, body: { error: { code: 'upstream_unavailable', message: 'try again' } } });
  await rejectsWithCode(db.search({ text }), 'upstream_unavailable');
  db.close();

  // Without proxyUrl, config.json beside the manifest names the proxy (relative to itself).
  reset();
  server.state.hooks.transform = (relative, bytes) =>
    (relative === 'manifest.json' ? Buffer.from(JSON.stringify({ ...JSON.parse(bytes.toString('utf8')), model })) : bytes);
  server.state.hooks.post = (urlPath, body) => {
    asked.push({ body, urlPath });
    return { body: { model, embeddings: [nativeEmbedding(body.inputs[0].parts[0].text)] } };
  };
  fs.writeFileSync(path.join(site, 'config.json'), JSON.stringify({ proxyUrl: 'elsewhere/' }));
  try {
    const configured = await open();
    await configured.search({ text }, { k: 1 });
    assert.equal(asked.at(-1).urlPath, '/elsewhere/api/embed');
    configured.close();
    fs.writeFileSync(path.join(site, 'config.json'), '{ not json');
    await rejectsWithCode(open(), 'invalid_json');
  } finally {
    fs.rmSync(path.join(site, 'config.json'));
  }
});

// The size in a baseline or progressive JPEG's start-of-frame marker.
function jpegSize(bytes) {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    assert.equal(bytes[offset], 0xff, 'a JPEG marker');
    const marker = bytes[offset + 1];
    const length = bytes.readUInt16BE(offset + 2);
    if (marker === 0xc0 || marker === 0xc2) return { width: bytes.readUInt16BE(offset + 7), height: bytes.readUInt16BE(offset + 5) };
    offset += 2 + length;
  }
  throw new Error('no start-of-frame marker');
}

test('prepareImage resizes a PNG to maxSide and returns JPEG bytes; broken images are refused', { skip }, async () => {
  const png = makePng({ width: 300, height: 120, gray: 40 });
  const prepared = await Mosaic.prepareImage(png, { maxSide: 100 });
  assert.equal(prepared.mimeType, 'image/jpeg');
  assert.deepEqual([...prepared.bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  assert.deepEqual(jpegSize(Buffer.from(prepared.bytes)), { width: prepared.width, height: prepared.height });
  assert.equal(prepared.width, 100);
  assert.equal(prepared.height, 40);
  assert.equal(prepared.originalWidth, 300);
  assert.equal(prepared.originalHeight, 120);
  assert.equal(prepared.resized, true);
  const small = await Mosaic.prepareImage(new Blob([makePng({ width: 20, height: 10 })]), { maxSide: 100 });
  assert.equal(small.resized, false, 'never upscaled');
  assert.deepEqual([small.width, small.height], [20, 10]);
  const truncated = png.subarray(0, png.length - 20);
  await assert.rejects(Mosaic.prepareImage(truncated, { maxSide: 100 }), (error) => error.code === 'invalid_media');
  await assert.rejects(Mosaic.prepareImage(Buffer.from('plain text, not an image'), { maxSide: 100 }), (error) => error.code === 'unsupported_media');
  await assert.rejects(Mosaic.prepareImage(png, { maxSide: 0 }), (error) => error.code === 'invalid_argument');
});

test('encodeWav writes 16-bit PCM WAV in wasm; prepareAudio passes WAV on as it is and refuses what is not audio', { skip }, async () => {
  const wav = await Mosaic.encodeWav(new Float32Array([0, 0.5, -1, 2, -0.25, 1]), { sampleRate: 16000 });
  assert.deepEqual(readWavHeader(wav), {
    riff: 'RIFF', riffSize: wav.length - 8, wave: 'WAVE', fmt: 'fmt ', formatTag: 1, channels: 1, sampleRate: 16000,
    byteRate: 32000, blockAlign: 2, bitsPerSample: 16, data: 'data', dataSize: 12, samples: [0, 16384, -32767, 32767, -8192, 32767],
  });
  const stereo = readWavHeader(await Mosaic.encodeWav([0.5, -0.5], { sampleRate: 8000, channels: 2 }));
  assert.deepEqual([stereo.channels, stereo.sampleRate, stereo.blockAlign, stereo.samples], [2, 8000, 4, [16384, -16384]]);
  await assert.rejects(Mosaic.encodeWav(new Float32Array([0, Number.NaN]), { sampleRate: 16000 }), (error) => error.code === 'non_finite_value');
  await assert.rejects(Mosaic.encodeWav(new Float32Array([0, 1, 0]), { sampleRate: 16000, channels: 2 }), (error) => error.code === 'invalid_argument');
  await assert.rejects(Mosaic.encodeWav(new Float32Array(4), {}), (error) => error.code === 'invalid_argument');

  const captioned = makeWav({ comment: 'a church bell ringing' });
  const passed = await Mosaic.prepareAudio(new Blob([captioned]));
  assert.deepEqual({ ...passed, bytes: Buffer.from(passed.bytes) },
    { bytes: captioned, mimeType: 'audio/wav', converted: false, seconds: 0.002, sourceSeconds: 0.002, truncated: false });
  await assert.rejects(Mosaic.prepareAudio(makePng()), (error) => error.code === 'unsupported_media' && /png, not audio/.test(error.message));
  await assert.rejects(Mosaic.prepareAudio('not bytes'), (error) => error.code === 'invalid_argument');
});

test('prepareAudio cuts a WAV or MP3 longer than 80 s to its first 80 s in wasm, and reports a damaged one', { skip }, async () => {
  // 100 s of 8 kHz mono PCM with a caption: the first 80 s are kept, format and caption unchanged.
  const long = makeWav({ comment: 'a long voicemail', seconds: 100 });
  const cut = await Mosaic.prepareAudio(new Blob([long]));
  assert.deepEqual({ mimeType: cut.mimeType, converted: cut.converted, seconds: cut.seconds, sourceSeconds: cut.sourceSeconds, truncated: cut.truncated },
    { mimeType: 'audio/wav', converted: false, seconds: 80, sourceSeconds: 100, truncated: true });
  // The core writes the caption (LIST) before the samples, so `data` is found rather than assumed at byte 36.
  const dataChunk = (bytes) => {
    const buffer = Buffer.from(bytes);
    const at = buffer.indexOf('data', 12, 'latin1');
    return { start: at + 8, size: buffer.readUInt32LE(at + 4) };
  };
  const header = readWavHeader(cut.bytes);
  assert.deepEqual([header.channels, header.sampleRate, header.bitsPerSample], [1, 8000, 16]);
  const kept = dataChunk(cut.bytes);
  const original = dataChunk(long);
  assert.equal(kept.size, 80 * 8000 * 2);
  assert.deepEqual(Buffer.from(cut.bytes.subarray(kept.start, kept.start + kept.size)), long.subarray(original.start, original.start + kept.size),
    'the kept samples are the first ones');
  assert.match(Buffer.from(cut.bytes).toString('latin1'), /a long voicemail/);
  const shorter = await Mosaic.prepareAudio(long, { maxSeconds: 30 });
  assert.equal(dataChunk(shorter.bytes).size, 30 * 8000 * 2);

  // 4,000 MP3 frames (104.5 s): whole frames up to 80 s (3,062 of them), copied from the start.
  const mp3 = makeMp3({ frames: 4000 });
  const mp3Cut = await Mosaic.prepareAudio(mp3);
  assert.equal(mp3Cut.mimeType, 'audio/mpeg');
  assert.equal(mp3Cut.truncated, true);
  assert.equal(mp3Cut.bytes.length, 3062 * mp3FrameBytes);
  assert.deepEqual(Buffer.from(mp3Cut.bytes), mp3.subarray(0, 3062 * mp3FrameBytes));
  assert.ok(mp3Cut.seconds <= 80 && mp3Cut.seconds > 79.9, `kept ${mp3Cut.seconds} s`);
  assert.ok(Math.abs(mp3Cut.sourceSeconds - 4000 * 1152 / 44100) < 0.001);
  const mp3Whole = await Mosaic.prepareAudio(makeMp3({ frames: 100 }));
  assert.equal(mp3Whole.truncated, false);
  assert.equal(mp3Whole.bytes.length, 100 * mp3FrameBytes);

  // A WAV cut short (its data chunk claims more than the file holds) is refused, not shortened.
  await assert.rejects(Mosaic.prepareAudio(long.subarray(0, long.length - 1000)), (error) => error.code === 'invalid_media');
  await assert.rejects(Mosaic.prepareAudio(long, { maxSeconds: 0 }), (error) => error.code === 'invalid_argument');
});

test('store writes do not hold back loading, and ready waits for them', { skip }, async () => {
  reset();
  const kept = memoryStore();
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  let writesStarted = 0;
  const slowStore = { ...kept, async put(hash, bytes) { writesStarted += 1; await released; await kept.put(hash, bytes); } };
  const db = await open({ storage: slowStore });
  const shards = readManifest().shards.length;
  // Every shard becomes searchable while no write has finished.
  for (let waited = 0; db.stats.shardsLoaded < shards && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(db.stats.shardsLoaded, shards);
  assert.equal(writesStarted, shards * 2);
  let readySettled = false;
  db.ready.then(() => { readySettled = true; });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(readySettled, false, 'ready waits for the store writes');
  assert.equal((await db.search({ text: 'which animal runs fastest' }, { k: 1 })).results[0].item.source, 'animals/cheetah.txt');
  release();
  const loaded = await db.ready;
  assert.equal(loaded.shardsLoaded, shards);
  assert.equal((await kept.keys()).length, shards * 2, 'every file was kept once ready resolved');
  db.close();
});

test('the shard store: a second open downloads nothing; after a rebuild only new shards, and old ones are evicted', { skip }, async () => {
  reset();
  const store = memoryStore();
  const first = await open({ storage: store });
  await first.ready;
  const before = readManifest();
  assert.equal(first.stats.shardsFromNetwork, before.shards.length);
  first.close();
  const named = (manifest) => new Set(manifest.shards.flatMap((shard) => [shard.hash, shard.metadata.hash]));
  assert.deepEqual(new Set(await store.keys()), named(before));

  reset();
  const second = await open({ storage: store });
  await second.ready;
  assert.equal(second.stats.shardsFromNetwork, 0);
  assert.equal(second.stats.bytesFromNetwork, 0);
  assert.equal(second.stats.shardsFromStore, before.shards.length);
  assert.equal(shardRequests().length, 0, 'no shard was requested');
  assert.equal(server.state.requests.filter((request) => request.path.startsWith('/items/')).length, 0);
  const fromStore = await second.search({ text: 'which animal runs fastest' }, { k: 1 });
  assert.equal(fromStore.results[0].item.source, 'animals/cheetah.txt');
  second.close();

  // One changed file: the rebuild names new files for its shard only.
  fs.writeFileSync(path.join(collection, 'finance/report.txt'), 'The annual budget was balanced and the auditors were satisfied.');
  buildIndex();
  const rebuilt = readManifest();
  assert.equal(rebuilt.generation, before.generation + 1);
  const oldShardHashes = new Set(before.shards.map((shard) => shard.hash));
  const newShards = rebuilt.shards.filter((shard) => !oldShardHashes.has(shard.hash));
  assert.ok(newShards.length >= 1 && newShards.length < rebuilt.shards.length, `${newShards.length} new shards`);
  const stale = [...named(before)].filter((hash) => !named(rebuilt).has(hash));

  reset();
  const third = await open({ storage: store });
  await third.ready;
  assert.equal(third.stats.generation, rebuilt.generation);
  assert.equal(third.stats.shardsFromNetwork, newShards.length);
  assert.equal(third.stats.shardsFromStore, rebuilt.shards.length - newShards.length);
  assert.deepEqual(shardRequests().map((request) => request.path).sort(), newShards.map((shard) => `/${shard.file}`).sort());
  assert.equal(third.stats.evicted, stale.length);
  assert.deepEqual(new Set(await store.keys()), named(rebuilt));
  const changed = await third.search({ text: 'the auditors checked the budget' }, { k: 1 });
  assert.equal(changed.results[0].item.source, 'finance/report.txt');
  assert.match(changed.results[0].item.snippet, /auditors/);
  third.close();
});

test('keyword and hybrid search: the keyword files are fetched once, as queries need them, and match native mosaic query', { skip }, async () => {
  reset();
  const manifest = readManifest();
  assert.ok(manifest.keywords, 'mosaic index wrote a keyword index');
  const db = await open();
  await db.ready;
  assert.equal(server.state.requests.filter((request) => /^\/(keywords|terms)\//.test(request.path)).length, 0,
    'opening fetches no keyword file');

  // Keyword mode embeds nothing: no model file is fetched.
  const keyword = await db.search({ text: 'tomatoes simmering' }, { mode: 'keyword', k: 3 });
  assert.equal(keyword.mode, 'keyword');
  assert.equal(keyword.results[0].item.source, 'food/soup.md');
  assert.ok(keyword.results[0].matchedTerms.includes('tomato'));
  const [start, end] = keyword.results[0].highlights.snippet[0];
  assert.match(keyword.results[0].item.snippet.slice(start, end), /^(Simmer|tomatoes)$/);
  assert.equal(server.state.requests.filter((request) => request.path.startsWith('/model/')).length, 0, 'no model for a keyword search');
  const keywordRequests = server.state.requests.filter((request) => /^\/(keywords|terms)\//.test(request.path)).length;
  assert.ok(keywordRequests >= 2, 'the directory and a term file');
  assert.ok(db.stats.keywordBytesLoaded > 0);

  // The same query again fetches nothing more; the scores equal native mosaic query's.
  const again = await db.search({ text: 'tomatoes simmering' }, { mode: 'keyword', k: 3 });
  assert.equal(server.state.requests.filter((request) => /^\/(keywords|terms)\//.test(request.path)).length, keywordRequests);
  const native = JSON.parse(mosaic('query', site, 'tomatoes simmering', '--mode', 'keyword', '-k', '3', '--json')).results;
  assert.deepEqual(again.results.map((result) => result.id), native.map((result) => result.id));
  for (let i = 0; i < native.length; i++) assert.ok(Math.abs(again.results[i].score - native[i].score) < scoreTolerance);

  // A text query is hybrid by default, with the same order as native.
  const hybrid = await db.search({ text: 'which animal runs fastest' }, { k: 3 });
  assert.equal(hybrid.mode, 'hybrid');
  const nativeHybrid = JSON.parse(mosaic('query', site, 'which animal runs fastest', '-k', '3', '--json', '--model-dir', modelDirectory));
  assert.equal(nativeHybrid.mode, 'hybrid');
  assert.deepEqual(hybrid.results.map((result) => result.id), nativeHybrid.results.map((result) => result.id));
  assert.equal((await db.search({ text: 'which animal runs fastest' }, { mode: 'vector', k: 3 })).mode, 'vector');
  await assert.rejects(db.search([1, 2, 3], { mode: 'keyword' }), /needs a text query/);
  await assert.rejects(db.search({ text: 'x' }, { mode: 'fuzzy' }), /mode must be/);
  db.close();
});
