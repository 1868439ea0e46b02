// mosaic index's text chunks and titles with the local model, end to end: no fragment chunks, exact
// byte offsets into the file, titles from front matter, a Markdown heading, a set-apart first line or
// the file name, carried into every chunk's embedded text (a chunk far from the title still finds the
// document by the title's words), and the chunking options.
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

// Every item of a site, from its item metadata files.
function siteItems(site) {
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  return manifest.shards.flatMap((shard) => {
    const parsed = JSON.parse(fs.readFileSync(path.join(site, shard.metadata.file), 'utf8'));
    return Array.isArray(parsed) ? parsed : parsed.items;
  });
}

const sentences = (topic, count) => Array.from({ length: count }, (_, i) =>
  `Sentence ${i + 1} says something plain about ${topic} and nothing else.`).join(' ');

const files = {
  'kitchen/soup.md': '---\nauthor: cook\ntitle: "Tomato soup"\n---\n# Ignored heading\n' + sentences('the pot', 30),
  'kitchen/bread.md': '# Sourdough bread\n\n' + sentences('the weather', 30) + ' The end.',
  'notes/volcano.txt': 'Volcanoes of Iceland\n' + sentences('the rocks', 30),
  'notes/red_bicycle-2024.txt': sentences('the garden', 4),
  'notes/4380635.txt': sentences('an id', 3),
};

function makeSite(...options) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-chunks-'));
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, 'collection', relative)), { recursive: true });
    fs.writeFileSync(path.join(root, 'collection', relative), content);
  }
  const site = path.join(root, 'site');
  const indexed = mosaic('index', path.join(root, 'collection'), '--out', site, '--json', '--cache-dir', path.join(root, 'cache'), ...options);
  assert.equal(indexed.status, 0, indexed.stderr);
  return { root, site, report: JSON.parse(indexed.stdout) };
}

test('titles come from front matter, headings, a first line or the file name, and offsets are exact', () => {
  const { root, site } = makeSite();
  try {
    const items = siteItems(site);
    const bySource = (source) => items.filter((item) => item.source === source)
      .sort((left, right) => (left.source_offset ?? 0) - (right.source_offset ?? 0));
    const soup = bySource('kitchen/soup.md');
    assert.ok(soup.length >= 4, 'a 360-word text is several chunks');
    soup.forEach((item, part) => assert.equal(item.title, `Tomato soup (part ${part + 1} of ${soup.length})`));
    assert.match(bySource('kitchen/bread.md')[0].title, /^Sourdough bread \(part 1 of/);
    assert.match(bySource('notes/volcano.txt')[0].title, /^Volcanoes of Iceland \(part 1 of/);
    assert.equal(bySource('notes/red_bicycle-2024.txt')[0].title, 'red bicycle 2024');
    assert.equal(bySource('notes/4380635.txt')[0].title, '4380635');

    for (const [relative, content] of Object.entries(files)) {
      const bytes = Buffer.from(content);
      const chunks = bySource(relative);
      for (const item of chunks) {
        // The snippet is the chunk's start, found in the file at the item's offset.
        const snippet = item.snippet.replace(/…$/, '');
        assert.equal(bytes.subarray(item.source_offset, item.source_offset + Buffer.byteLength(snippet)).toString(), snippet,
          `${relative} at ${item.source_offset}`);
      }
      // No fragment: with 64 words a chunk, every later chunk of a long text starts a sentence (the
      // old chunker left "else." alone at the end). soup.md's first chunk starts with its heading,
      // text under the front matter's title.
      if (chunks.length > 1) for (const item of chunks.slice(1)) assert.match(item.snippet, /^Sentence \d+ says/);
      for (const item of chunks) assert.ok(item.snippet.length > 100, `${relative}: ${item.snippet}`);
    }
    // The title and its heading line are not chunk text; the first chunk starts after them.
    assert.match(bySource('kitchen/bread.md')[0].snippet, /^Sentence 1 says/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('every chunk carries its document title into what is embedded', () => {
  const { root, site } = makeSite();
  try {
    // "sourdough" is only in the title; the last chunk of bread.md is about the weather.
    const results = JSON.parse(mosaic('query', site, 'sourdough bread', '-k', '40', '--all-chunks', '--json').stdout).results;
    const source = (result) => result.item?.source ?? result.source;
    const bread = results.filter((result) => source(result) === 'kitchen/bread.md');
    const breadChunks = siteItems(site).filter((item) => item.source === 'kitchen/bread.md').length;
    assert.equal(bread.length, breadChunks);
    assert.equal(source(results[0]), 'kitchen/bread.md');
    // Every bread chunk ranks above every chunk that does not mention bread in its title.
    const lastBread = results.findIndex((result) => result === bread[bread.length - 1]);
    assert.ok(results.slice(0, lastBread + 1).every((result) => source(result) === 'kitchen/bread.md'),
      results.slice(0, lastBread + 1).map(source).join(', '));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('chunking options: --chunk-words, --chunk-overlap, --chunk-at', () => {
  const whole = makeSite('--chunk-words', '1000');
  const defaults = makeSite();
  const overlapping = makeSite('--chunk-overlap', '20', '--chunk-at', 'words');
  try {
    assert.equal(whole.report.items, Object.keys(files).length);
    assert.ok(overlapping.report.items > defaults.report.items, `${overlapping.report.items} > ${defaults.report.items}`);
    const bad = mosaic('index', whole.root, '--out', path.join(whole.root, 'other'), '--chunk-at', 'pages');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--chunk-at must be sentences or words/);
  } finally {
    for (const { root } of [whole, defaults, overlapping]) fs.rmSync(root, { recursive: true, force: true });
  }
});
