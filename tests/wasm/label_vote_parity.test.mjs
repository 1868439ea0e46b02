// One label vote everywhere: the browser's API (db.classify, and db.search with classify) and the
// CLI (`mosaic classify`) give the same label, confidence and voters for the same query on the same
// site, because both call the core's vote. The collection is the case where the two used to differ:
// several unlabelled notes lie nearer to the query than any labelled item, so a vote that took the
// 4·k nearest items and dropped the unlabelled ones found no voter, while the core's (the k nearest
// labelled items, found in the scan) finds them.
// Run by ctest in build-wasm with MOSAIC_WEB_DIR, MOSAIC_NATIVE_CLI and MOSAIC_MODEL_DIR set.
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

// Notes at the top level have no label; the folders are the labels.
const files = {
  'cat-1.txt': 'My cat sleeps on the sofa all afternoon and purrs.',
  'cat-2.txt': 'The cat curled up on the sofa, purring softly.',
  'cat-3.txt': 'A sleepy cat purring on a warm sofa cushion.',
  'cat-4.txt': 'Our cat naps on the couch and purrs when stroked.',
  'cat-5.txt': 'The kitten dozes on the sofa, purring loudly.',
  'pets/dog.txt': 'A dog barking at the postman from the garden.',
  'pets/hamster.txt': 'A hamster running in its wheel at night.',
  'pets/parrot.txt': 'A parrot repeating words it heard in the kitchen.',
  'cooking/bread.txt': 'Knead the dough, let it rise, then bake the bread for forty minutes.',
  'cooking/soup.txt': 'Simmer the vegetables in stock to make a warming soup.',
  'finance/tax.txt': 'File the quarterly tax return before the end of the month.',
};
const queries = ['a cat purring on the sofa', 'baking bread at home', 'paying taxes', 'a pet that talks'];

let Mosaic;
let root, site, server;

const mosaic = (...args) => runMosaic(nativeCli, args);
const nativeVote = (text, ...options) =>
  JSON.parse(mosaic('classify', site, text, '--json', '--model-dir', modelDirectory, ...options));
const nativeResults = (text, k) =>
  JSON.parse(mosaic('query', site, text, '-k', String(k), '--json', '--model-dir', modelDirectory)).results;

before(async () => {
  if (skip) return;
  ({ Mosaic } = await import(pathToFileURL(path.join(webDirectory, 'mosaic.mjs')).href));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-vote-parity-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, files);
  mosaic('index', collection, '--out', site, '--shard-items', '4', '--model-dir', modelDirectory);
  server = await startStaticServer([['model/', modelDirectory], ['', site]]);
});

after(async () => {
  if (server) await server.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('the CLI and the browser give the same label, confidence and voters for the same query', { skip }, async () => {
  const db = await Mosaic.open(server.url, { storage: null, modelBaseUrl: `${server.url}model/` });
  await db.ready;
  // The case the old CLI vote got wrong is really here: the nearest items are the unlabelled notes.
  const nearest = nativeResults(queries[0], 4);
  assert.ok(nearest.every((result) => result.item.label === undefined), JSON.stringify(nearest.map((result) => result.item.source)));

  for (const text of queries) {
    for (const [k, minConfidence] of [[1, 0], [3, 0], [3, 0.9]]) {
      const what = `'${text}' k ${k} min confidence ${minConfidence}`;
      const cli = nativeVote(text, '-k', String(k), '--threshold', String(minConfidence));
      const browser = await db.classify({ text }, { k, minConfidence });
      const fromSearch = (await db.search({ text }, { k: 2, classify: { k, minConfidence } })).classification;
      assert.equal(browser.known, cli.known, what);
      assert.equal(browser.label, cli.known ? cli.label : 'unknown', what);
      assert.ok(Math.abs(browser.confidence - cli.confidence) < 1e-4, `${what}: ${browser.confidence} vs ${cli.confidence}`);
      assert.equal(browser.votes, cli.votes, what);
      assert.equal(browser.considered, cli.considered, what);
      assert.deepEqual(browser.neighbours.map((hit) => hit.id), cli.neighbours.map((hit) => hit.id), what);
      assert.deepEqual({ ...fromSearch, partial: undefined }, { ...browser, partial: undefined }, `${what}: search with classify`);
      // Every voter is labelled, whatever unlabelled notes are nearer.
      for (const neighbour of browser.neighbours) assert.ok(neighbour.item.label, what);
    }
  }
  // The cat query: the voters are the nearest labelled items (pets), not "unknown".
  const cat = await db.classify({ text: queries[0] }, { k: 1 });
  assert.equal(cat.known, true);
  assert.equal(cat.label, 'pets');
  db.close();
});
