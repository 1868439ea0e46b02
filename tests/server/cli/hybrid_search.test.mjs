// Keyword and hybrid search through the mosaic command end to end with the local model: `mosaic
// index` writes the keyword index beside the vectors (keywords/ and terms/, named in the manifest),
// `mosaic query --mode` ranks by it, codes and phrases are found, the keyword files follow the
// generations like shards, and a damaged term file is refused by name.
// Run by ctest: node --test with MOSAIC_CLI pointing at build/bin/mosaic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');

function mosaic(...args) {
  const outcome = spawnSync(cli, args, { encoding: 'utf8' });
  return { status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr };
}

function query(site, text, ...options) {
  const outcome = mosaic('query', site, text, '--json', ...options);
  assert.equal(outcome.status, 0, outcome.stderr);
  return JSON.parse(outcome.stdout);
}

function makeCollection() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-hybrid-'));
  const write = (relative, content) => {
    fs.mkdirSync(path.dirname(path.join(root, 'collection', relative)), { recursive: true });
    fs.writeFileSync(path.join(root, 'collection', relative), content);
  };
  write('tickets/login.txt', 'Customers see error ERR-4521 when the session expires during login.');
  write('tickets/billing.txt', 'An invoice was charged twice after the payment page timed out.');
  write('tickets/upload.txt', 'Uploading a large photo fails with a timeout on slow connections.');
  write('zoo/circus.txt', 'The purple elephant danced while a grey elephant slept.');
  write('zoo/paint.txt', 'An elephant walked past a purple wall.');
  write('food/soup.md', '# Tomato soup\nSimmer tomatoes with basil, garlic and olive oil, then blend until smooth.');
  return root;
}

test('mosaic index writes a keyword index that keyword and hybrid queries use', () => {
  const root = makeCollection();
  try {
    const site = path.join(root, 'site');
    const indexed = mosaic('index', path.join(root, 'collection'), '--out', site, '--json');
    assert.equal(indexed.status, 0, indexed.stderr);
    const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    assert.equal(manifest.format_version, 2);
    assert.match(manifest.keywords.file, /^keywords\/[0-9a-f]{64}\.bin$/);
    assert.ok(fs.existsSync(path.join(site, manifest.keywords.file)));
    assert.ok(fs.readdirSync(path.join(site, 'terms')).length >= 1);

    // An exact code, found whole, run together and by its number, first, with its terms and highlights.
    for (const text of ['ERR-4521', 'err4521', '4521']) {
      const answer = query(site, text, '--mode', 'keyword');
      assert.equal(answer.mode, 'keyword');
      assert.equal(answer.results[0].item.source, 'tickets/login.txt', text);
      assert.ok(answer.results[0].matched_terms.length >= 1);
    }
    const code = query(site, 'ERR-4521', '--mode', 'keyword').results[0];
    const [start, end] = code.highlights.snippet[0];
    assert.equal(code.item.snippet.slice(start, end), 'ERR-4521');

    // Hybrid is the default for a text query on an index with keywords, and finds the code first too.
    const hybrid = query(site, 'error ERR-4521 on login');
    assert.equal(hybrid.mode, 'hybrid');
    assert.equal(hybrid.results[0].item.source, 'tickets/login.txt');
    assert.equal(query(site, 'error ERR-4521 on login', '--mode', 'vector').mode, 'vector');

    // A quoted phrase matches only where its words stand together.
    const phrase = query(site, '"purple elephant"', '--mode', 'keyword').results.map((result) => result.item.source);
    assert.deepEqual(phrase, ['zoo/circus.txt']);
    const words = query(site, 'purple elephant', '--mode', 'keyword').results.map((result) => result.item.source);
    assert.deepEqual([...words].sort(), ['zoo/circus.txt', 'zoo/paint.txt']);

    // Stemming: "simmering tomato" finds "Simmer tomatoes".
    assert.equal(query(site, 'simmering tomato', '--mode', 'keyword').results[0].item.source, 'food/soup.md');

    // Filters apply to keyword hits.
    const filtered = query(site, 'elephant', '--mode', 'keyword', '--filter', 'label=tickets');
    assert.equal(filtered.results.length, 0);

    // A keyword search needs no model.
    const noModel = mosaic('query', site, 'invoice', '--mode', 'keyword', '--json', '--model-dir', path.join(root, 'nowhere'));
    assert.equal(noModel.status, 0, noModel.stderr);
    assert.equal(JSON.parse(noModel.stdout).results[0].item.source, 'tickets/billing.txt');

    const bad = mosaic('query', site, 'invoice', '--mode', 'telepathy');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--mode must be hybrid, vector or keyword/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('keyword files follow the generations and a damaged term file is refused by name', () => {
  const root = makeCollection();
  try {
    const site = path.join(root, 'site');
    const collection = path.join(root, 'collection');
    assert.equal(mosaic('index', collection, '--out', site).status, 0);
    const first = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(collection, 'tickets', 'billing.txt'), 'A refund for order ORD-77 was never issued.');
    assert.equal(mosaic('index', collection, '--out', site).status, 0);
    const second = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    assert.notEqual(second.keywords.hash, first.keywords.hash, 'new words, a new directory');
    assert.ok(fs.existsSync(path.join(site, first.keywords.file)), 'the previous generation keeps its keyword files');
    assert.equal(query(site, 'ORD-77', '--mode', 'keyword').results[0].item.source, 'tickets/billing.txt');
    assert.equal(query(site, 'invoice', '--mode', 'keyword').results.length, 0, 'the old words are gone');
    assert.equal(mosaic('index', collection, '--out', site).status, 0);
    assert.ok(!fs.existsSync(path.join(site, first.keywords.file)), 'two generations later they are removed');

    // One flipped byte in a term file: the query fails with the file's name, never a wrong answer.
    const termFile = fs.readdirSync(path.join(site, 'terms'))[0];
    const termPath = path.join(site, 'terms', termFile);
    const bytes = fs.readFileSync(termPath);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(termPath, bytes);
    const damaged = mosaic('query', site, 'refund', '--mode', 'keyword');
    assert.equal(damaged.status, 1);
    assert.match(damaged.stderr, new RegExp(`terms/${termFile.replace('.bin', '')}`));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
