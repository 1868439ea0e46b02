// The mosaic command-line tool end to end with the local model: index a small collection, query it,
// filter, re-index (a new generation, old files kept one generation), and refuse bad input clearly.
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

function makeCollection() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-cli-'));
  const write = (relative, content) => {
    fs.mkdirSync(path.dirname(path.join(root, 'collection', relative)), { recursive: true });
    fs.writeFileSync(path.join(root, 'collection', relative), content);
  };
  write('animals/cheetah.txt', 'The cheetah is the fastest land animal, sprinting across the savanna after gazelles.');
  write('animals/tortoise.txt', 'A giant tortoise moves slowly and can live for more than a hundred years.');
  write('food/soup.md', '# Tomato soup\nSimmer tomatoes with basil, garlic and olive oil, then blend until smooth.');
  write('finance/report.txt', 'Quarterly revenue grew by eight percent while operating costs fell.');
  write('notes/long.txt', Array.from({ length: 300 }, (_, i) => `sentence number ${i} about volcanoes and lava`).join('. '));
  write('picture.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
  write('empty.txt', '');
  return root;
}

test('index then query finds the right document, with labels from folders and filters', () => {
  const root = makeCollection();
  try {
    const site = path.join(root, 'site');
    const indexed = mosaic('index', path.join(root, 'collection'), '--out', site, '--json');
    assert.equal(indexed.status, 0, indexed.stderr);
    const report = JSON.parse(indexed.stdout);
    assert.equal(report.files_indexed, 5);
    assert.ok(report.items > 5, 'the long note is split into several chunks');
    assert.equal(report.generation, 1);
    const reasons = Object.fromEntries(report.skipped.map((file) => [file.path, file.reason]));
    assert.match(reasons['picture.png'], /not a usable image/, 'a truncated PNG is an image by its bytes, and refused whole');
    assert.match(reasons['empty.txt'], /no text/);

    const query = mosaic('query', site, 'which animal runs fastest', '-k', '3', '--json');
    assert.equal(query.status, 0, query.stderr);
    const results = JSON.parse(query.stdout).results;
    assert.equal(results[0].item.source, 'animals/cheetah.txt');
    assert.equal(results[0].item.label, 'animals');
    assert.ok(results[0].score > results[1].score);

    const soup = JSON.parse(mosaic('query', site, 'how do I cook dinner', '--json').stdout).results;
    assert.equal(soup[0].item.source, 'food/soup.md');

    const filtered = JSON.parse(mosaic('query', site, 'which animal runs fastest', '--filter', 'label=finance', '--json').stdout);
    assert.ok(filtered.results.length >= 1);
    assert.ok(filtered.results.every((result) => result.item.label === 'finance'), 'filters apply during the search');
    const none = JSON.parse(mosaic('query', site, 'anything', '--filter', 'label=nobody', '--json').stdout);
    assert.equal(none.results.length, 0);

    const volcano = JSON.parse(mosaic('query', site, 'lava from a volcano', '-k', '1', '--json').stdout).results[0].item;
    assert.equal(volcano.source, 'notes/long.txt');
    assert.equal(typeof volcano.source_offset, 'number');

    // One result per document by default: the long note's chunks count as one result, with how many
    // of them matched; --all-chunks lists every chunk.
    const k = '50';
    const grouped = JSON.parse(mosaic('query', site, 'lava from a volcano', '-k', k, '--json').stdout).results;
    const sources = grouped.map((result) => result.item.source);
    assert.equal(new Set(sources).size, sources.length, 'each document once');
    const note = grouped.find((result) => result.item.source === 'notes/long.txt');
    const every = JSON.parse(mosaic('query', site, 'lava from a volcano', '-k', k, '--all-chunks', '--json').stdout).results;
    const noteChunks = every.filter((result) => result.item.source === 'notes/long.txt');
    assert.ok(noteChunks.length > 1, 'the long note has several chunks');
    assert.equal(note.matched_items, noteChunks.length);
    assert.equal(note.id, noteChunks[0].id, 'the best chunk stands for its document');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('re-indexing writes a new generation and keeps the previous generation readable', () => {
  const root = makeCollection();
  try {
    const site = path.join(root, 'site');
    assert.equal(mosaic('index', path.join(root, 'collection'), '--out', site, '--shard-items', '2').status, 0);
    const first = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(root, 'collection', 'animals', 'cheetah.txt'), 'Cheetahs purr like house cats.');
    assert.equal(mosaic('index', path.join(root, 'collection'), '--out', site, '--shard-items', '2').status, 0);
    const second = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    assert.equal(second.generation, first.generation + 1);
    for (const shard of [...first.shards, ...second.shards]) {
      assert.ok(fs.existsSync(path.join(site, shard.file)), `${shard.file} is still there for clients of either generation`);
    }
    const unchanged = new Set(first.shards.map((shard) => shard.hash));
    assert.ok(second.shards.some((shard) => unchanged.has(shard.hash)), 'unchanged shards keep their content address');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('bad usage and bad input get clear errors and exit codes', () => {
  const root = makeCollection();
  try {
    assert.equal(mosaic().status, 2);
    assert.equal(mosaic('frobnicate').status, 2);
    const noOut = mosaic('index', path.join(root, 'collection'));
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /--out SITE is required/);
    const badDims = mosaic('index', path.join(root, 'collection'), '--out', path.join(root, 's'), '--dims', '9999');
    assert.equal(badDims.status, 2);
    assert.match(badDims.stderr, /--dims must be a whole number from 1 to 512/);
    const missing = mosaic('index', path.join(root, 'no-such-folder'), '--out', path.join(root, 's'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /is not a folder/);
    const noSite = mosaic('query', path.join(root, 'no-site'), 'hello');
    assert.equal(noSite.status, 1);
    assert.match(noSite.stderr, /manifest\.json/);
    const site = path.join(root, 'site');
    assert.equal(mosaic('index', path.join(root, 'collection'), '--out', site).status, 0);
    const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    const shardPath = path.join(site, manifest.shards[0].file);
    const bytes = fs.readFileSync(shardPath);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(shardPath, bytes);
    const corrupt = mosaic('query', site, 'hello');
    assert.equal(corrupt.status, 1);
    assert.match(corrupt.stderr, /does not match its content hash/);
    const noModel = mosaic('embed', 'hello', '--model-dir', path.join(root, 'nowhere'));
    assert.equal(noModel.status, 1);
    assert.match(noModel.stderr, /install-model\.sh/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
