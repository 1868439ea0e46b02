// scripts/prepare-demo-collection.mjs (what `make demo` runs over openclipart-svg) on tiny SVGs the
// test writes: good ones in two categories, one without metadata, one malformed, one rsvg-convert
// refuses, entities and a symbolic link; the PNGs, labels, captions and skip reasons it gives; a re-run
// that renders nothing; a per-file timeout; then `mosaic index --captions` and `mosaic query` find an
// image by a word of its caption. Run by ctest with MOSAIC_CLI, MOSAIC_MODEL_DIR and
// MOSAIC_PREPARE_DEMO_SCRIPT; needs rsvg-convert (librsvg2-bin, which `make test` installs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cli = process.env.MOSAIC_CLI;
const modelDirectory = process.env.MOSAIC_MODEL_DIR;
const script = process.env.MOSAIC_PREPARE_DEMO_SCRIPT;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(modelDirectory && fs.existsSync(modelDirectory), 'MOSAIC_MODEL_DIR must point at the local model');
assert.ok(script && fs.existsSync(script), 'MOSAIC_PREPARE_DEMO_SCRIPT must point at scripts/prepare-demo-collection.mjs');
assert.equal(spawnSync('rsvg-convert', ['--version']).status, 0, 'rsvg-convert (Debian librsvg2-bin) must be installed');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-prepare-demo-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const metadata = ({ title, description, keywords = [] }) => `
  <metadata>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"
             xmlns:cc="http://web.resource.org/cc/">
      <cc:Work rdf:about="">
        ${title === undefined ? '' : `<dc:title>${title}</dc:title>`}
        ${description === undefined ? '' : `<dc:description>${description}</dc:description>`}
        <dc:subject><rdf:Bag>${keywords.map((keyword) => `<rdf:li>${keyword}</rdf:li>`).join('')}</rdf:Bag></dc:subject>
        <dc:creator><cc:Agent><dc:title>Somebody Else</dc:title></cc:Agent></dc:creator>
      </cc:Work>
    </rdf:RDF>
  </metadata>`;
const svg = (body, { width = 40, height = 20, prolog = '<?xml version="1.0" encoding="UTF-8"?>\n' } = {}) =>
  `${prolog}<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}<rect width="10" height="10" fill="#c00"/></svg>\n`;

function writeSource(files) {
  const source = path.join(scratch, `source-${Math.random().toString(16).slice(2)}`);
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(source, relative)), { recursive: true });
    fs.writeFileSync(path.join(source, relative), content);
  }
  return source;
}

function prepare(source, out, extra = []) {
  const outcome = spawnSync(process.execPath, [script, '--source', source, '--out', out, '--jobs', '2', ...extra], { encoding: 'utf8' });
  assert.equal(outcome.status, 0, outcome.stderr);
  return { stdout: outcome.stdout, report: JSON.parse(fs.readFileSync(path.join(out, 'preparation.json'), 'utf8')) };
}

const readCaptions = (out) => Object.fromEntries(fs.readFileSync(path.join(out, 'captions.jsonl'), 'utf8').trim().split('\n')
  .map((line) => JSON.parse(line)).map((entry) => [entry.path, entry]));

const pngSize = (file) => {
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
};

test('good SVGs become PNGs in label folders with captions; broken ones are skipped with their reason', () => {
  const source = writeSource({
    'transportation/bicycle_someone_01.svg': svg(metadata({ title: 'Red bicycle', description: 'A bike with a basket &amp; a bell',
      keywords: ['bike', 'cycling', 'Red bicycle'] })),
    'transportation/cars/racing_car.svg': svg(metadata({ title: 'Racing car', keywords: ['car', 'sport'] })),
    'animals/frog_someone_01.svg': svg(metadata({ title: 'Green frog', keywords: ['amphibian', 'pond'] })),
    'animals/no_metadata_cat.svg': svg(''),
    'animals/entity_owl.svg': svg(metadata({ title: 'Night &owl; &#x263A;' }),
      { prolog: '<?xml version="1.0"?>\n<!DOCTYPE svg [ <!ENTITY owl "&owl2;&owl2;"> <!ENTITY owl2 "hoot"> ]>\n' }),
    'animals/malformed_dog.svg': svg(metadata({ title: 'Dog' })).replace('</cc:Work>', '</cc:Wrok>'),
    'animals/cut_horse.svg': svg(metadata({ title: 'Horse' })).slice(0, 300),
    'animals/zero_size_fish.svg': svg(metadata({ title: 'Fish' }), { width: 0, height: 0 }),
    'animals/latin1.svg': Buffer.from(svg(metadata({ title: 'caf\u00e9 owl' }), { prolog: '<?xml version="1.0" encoding="ISO-8859-1"?>\n' }), 'latin1'),
    'animals/not_utf8.svg': Buffer.concat([Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><title>'), Buffer.from([0xff, 0xfe]),
      Buffer.from('</title></svg>')]),
    'animals/amphibians/frog_someone_01.svg': svg(metadata({ title: 'Green frog, the more specific copy', keywords: ['amphibian', 'pond'] }),
      { width: 300, height: 1200 }),
    'notes.txt': 'not an SVG',
  });
  fs.symlinkSync('bicycle_someone_01.svg', path.join(source, 'transportation', 'link_to_bicycle.svg'));
  const out = path.join(scratch, 'out-1');
  const { report } = prepare(source, out, ['--size', '64']);

  const collection = path.join(out, 'collection');
  const pngs = fs.readdirSync(collection, { recursive: true }).filter((file) => file.endsWith('.png')).sort();
  assert.deepEqual(pngs, ['animals/entity_owl.png', 'animals/frog_someone_01.png', 'animals/latin1.png', 'animals/no_metadata_cat.png',
    'transportation/bicycle_someone_01.png', 'transportation/racing_car.png']);
  // Both pages (40 x 20 and 300 x 1200) hold the same 10 x 10 square: cropped to it, each fills --size.
  assert.deepEqual(pngSize(path.join(collection, 'transportation/bicycle_someone_01.png')), [64, 64], 'cropped to the drawing');
  assert.deepEqual(pngSize(path.join(collection, 'animals/frog_someone_01.png')), [64, 64]);

  const captions = readCaptions(out);
  assert.deepEqual(Object.keys(captions).sort(), pngs);
  assert.deepEqual(captions['transportation/bicycle_someone_01.png'], { path: 'transportation/bicycle_someone_01.png',
    title: 'Red bicycle', caption: 'Red bicycle. A bike with a basket & a bell. Keywords: bike, cycling. File: bicycle someone 01. Category: transportation.',
    description: 'A bike with a basket & a bell' });
  assert.equal(captions['transportation/racing_car.png'].caption, 'Racing car. Keywords: car, sport. Category: transportation / cars.');
  assert.equal(captions['animals/frog_someone_01.png'].title, 'Green frog, the more specific copy',
    'of two files with one name the one in the deeper category is used');
  assert.equal(captions['animals/no_metadata_cat.png'].caption, 'No metadata cat. Category: animals.', 'from the file name');
  assert.equal(captions['transportation/racing_car.png'].description, 'Car, sport', 'without a description: the keywords');
  assert.equal(captions['animals/entity_owl.png'].title, 'Night \u263A', 'declared entities are dropped, never expanded');
  assert.equal(captions['animals/latin1.png'].title, 'Caf\u00e9 owl');

  const reasons = Object.fromEntries(report.skipped.map((file) => [file.path, file.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['animals/cut_horse.svg', 'animals/malformed_dog.svg', 'animals/not_utf8.svg',
    'animals/zero_size_fish.svg']);
  assert.match(reasons['animals/malformed_dog.svg'], /^malformed XML, line \d+: <\/cc:Wrok> closes <cc:Work>/);
  assert.match(reasons['animals/cut_horse.svg'], /^malformed XML/);
  assert.match(reasons['animals/not_utf8.svg'], /not UTF-8/);
  assert.match(reasons['animals/zero_size_fish.svg'], /^rsvg-convert failed: .*no dimensions/);
  assert.deepEqual(report.degraded.map((file) => file.path), ['animals/no_metadata_cat.svg']);
  assert.equal(report.symbolic_links_skipped, 1);
  assert.equal(report.duplicate_names_skipped, 1);
  assert.equal(report.selected, 10);
  assert.equal(report.images, 6);
  assert.equal(report.rendered, 6);

  // A second run renders nothing and writes the same captions.
  const before = fs.statSync(path.join(collection, 'animals/frog_someone_01.png')).mtimeMs;
  const again = prepare(source, out, ['--size', '64']).report;
  assert.equal(again.rendered, 0);
  assert.equal(again.reused, 6);
  assert.equal(fs.statSync(path.join(collection, 'animals/frog_someone_01.png')).mtimeMs, before);
  assert.deepEqual(readCaptions(out), captions);

  // A smaller selection takes from every category and removes the PNGs it no longer has.
  const smaller = prepare(source, out, ['--size', '64', '--count', '2']).report;
  assert.equal(smaller.selected, 2);
  assert.deepEqual(smaller.selected_by_label, { animals: 1, transportation: 1 }, 'one from each category');
  assert.equal(smaller.removed_from_earlier_runs, 6 - smaller.images);
  const left = fs.readdirSync(collection, { recursive: true }).filter((file) => file.endsWith('.png'));
  assert.deepEqual(left.sort(), Object.keys(readCaptions(out)).sort());

  // The prepared collection indexed with its captions: a caption word finds the picture.
  const full = prepare(source, out, ['--size', '64']).report;
  assert.equal(full.images, 6);
  const site = path.join(out, 'site');
  const indexed = spawnSync(cli, ['index', collection, '--out', site, '--provider', 'local', '--model-dir', modelDirectory,
    '--cache-dir', path.join(out, 'cache'), '--captions', path.join(out, 'captions.jsonl'), '--json'], { encoding: 'utf8' });
  assert.equal(indexed.status, 0, indexed.stderr);
  const indexReport = JSON.parse(indexed.stdout);
  assert.equal(indexReport.listed_captions_applied, 6);
  assert.deepEqual(indexReport.skipped, []);
  for (const [text, expected] of [['bicycle', 'transportation/bicycle_someone_01.png'], ['amphibian in a pond', 'animals/frog_someone_01.png']]) {
    const found = spawnSync(cli, ['query', site, text, '-k', '1', '--model-dir', modelDirectory, '--json'], { encoding: 'utf8' });
    assert.equal(found.status, 0, found.stderr);
    const [best] = JSON.parse(found.stdout).results.map((result) => result.item);
    assert.equal(best.source, expected, `"${text}"`);
    assert.equal(best.modality, 'image');
    assert.equal(best.label, expected.split('/')[0]);
    assert.equal(best.title, captions[expected].title);
    assert.equal(best.snippet, captions[expected].description, 'a result shows the description, not the caption written for the index');
  }
});

// ImageMagick (Debian imagemagick, which scripts/install-dependencies.sh installs): "WxH+X+Y", the box
// of what is not the corners' colour, and the colour of the top left pixel.
function drawingBox(file) {
  const outcome = spawnSync('convert', [file, '-format', '%@ %[pixel:p{0,0}]', 'info:'], { encoding: 'utf8' });
  assert.equal(outcome.status, 0, outcome.stderr);
  const [box, corner] = outcome.stdout.trim().split(' ');
  const [width, height, left, top] = box.split(/[x+]/).map(Number);
  return { width, height, left, top, corner };
}

test('thumbnails are cropped to the drawing with a small white padding, a drawing past its page is not cut, and titles and descriptions are clean', () => {
  const page = (width, height, body) => `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>\n`;
  const source = writeSource({
    // A 100 x 40 drawing on a 400 x 400 page.
    'shapes/small_drawing.svg': page(400, 400, `${metadata({ title: 'rss_button', description: 'A button for RSS feeds' })}
      <rect x="150" y="180" width="100" height="40" fill="#00c"/>`),
    // A circle half past its page's right edge.
    'shapes/past_the_edge.svg': page(100, 100, `${metadata({ title: 'Circle' })}<circle cx="100" cy="50" r="10" fill="#c00"/>`),
    // Titles that name a collection or an author, not the drawing.
    'people/man02.svg': svg(metadata({ title: 'Clipart by Nicu Buculei - head1', keywords: ['people', 'hash', '12'] })),
    'people/lamp_somebody_else_01.svg': svg(metadata({ title: 'Lemon SVG theme', keywords: ['light'] })),
    'people/cup_01.svg': svg(metadata({ title: 'Lemon SVG theme', description: 'Lemon SVG theme' })),
    'people/pen.svg': svg(metadata({ title: 'Lemon SVG theme', description: 'OOO OOO OOO' })),  // and a filler description
  });
  const out = path.join(scratch, 'out-cropped');
  const { report } = prepare(source, out, ['--size', '100']);
  assert.equal(report.images, 6, JSON.stringify(report.skipped));
  const collection = path.join(out, 'collection');

  // 100 px with a padding of 3 (1/32): the drawing fills the 94 px inside it, its aspect kept.
  const small = path.join(collection, 'shapes/small_drawing.png');
  assert.deepEqual(pngSize(small), [100, 44]);
  const box = drawingBox(small);
  assert.ok(box.width >= 92 && box.left >= 2 && box.left <= 4 && box.top >= 2 && box.top <= 4, `the drawing fills the thumbnail: ${JSON.stringify(box)}`);
  assert.match(box.corner, /^(white|srgb\(255,255,255\))$/, 'the padding is white');
  // Cut at the page's edge it would be 10 x 20 (half a circle); whole it is round.
  const circle = path.join(collection, 'shapes/past_the_edge.png');
  assert.deepEqual(pngSize(circle), [100, 100], 'the whole circle, not the half on the page');
  assert.ok(drawingBox(circle).width >= 92);

  const captions = readCaptions(out);
  const shown = Object.fromEntries(Object.entries(captions).map(([where, entry]) => [where, [entry.title, entry.description]]));
  assert.deepEqual(shown, {
    'shapes/small_drawing.png': ['Rss button', 'A button for RSS feeds'],
    'shapes/past_the_edge.png': ['Circle', 'Shapes'],
    'people/man02.png': ['Man', 'People'],
    'people/lamp_somebody_else_01.png': ['Lamp', 'Light'],
    'people/cup_01.png': ['Cup', 'People'],
    'people/pen.png': ['Pen', 'People'],
  });
  for (const entry of Object.values(captions)) {
    assert.doesNotMatch(`${entry.title} ${entry.description}`, /Keywords:|File:|Category:|Clipart by|Lemon SVG|OOO/, JSON.stringify(entry));
  }

  // Another --size renders every PNG again (rendering.json says how they were made).
  const resized = prepare(source, out, ['--size', '64']).report;
  assert.equal(resized.rendered, 6);
  assert.deepEqual(pngSize(circle), [64, 64]);
  assert.equal(prepare(source, out, ['--size', '64']).report.rendered, 0);
});

test('an SVG whose rendering takes too long is stopped and skipped', () => {
  const source = writeSource({ 'animals/slow.svg': svg(metadata({ title: 'Slow' })) });
  const slowRenderer = path.join(scratch, 'slow-rsvg-convert');
  fs.writeFileSync(slowRenderer, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
  const started = Date.now();
  const { report } = prepare(source, path.join(scratch, 'out-slow'), ['--rsvg-convert', slowRenderer, '--timeout-seconds', '1']);
  assert.ok(Date.now() - started < 20000, 'the renderer was stopped, not waited for');
  assert.deepEqual(report.skipped, [{ path: 'animals/slow.svg', reason: 'rsvg-convert took over 1 s (stopped)' }]);
  assert.equal(report.images, 0);
  assert.ok(!fs.existsSync(path.join(scratch, 'out-slow', 'collection', 'animals', 'slow.png.partial')));
});

test('bad options are refused with the usage', () => {
  const outcome = spawnSync(process.execPath, [script, '--out', path.join(scratch, 'x'), '--count', 'many'], { encoding: 'utf8' });
  assert.equal(outcome.status, 2);
  assert.match(outcome.stderr, /--count must be a whole number/);
});
