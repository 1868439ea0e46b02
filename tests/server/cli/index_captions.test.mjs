// mosaic index --captions FILE.jsonl with the local model: captions and titles from the list (ahead
// of a sidecar), paths that match no media file reported and ignored, the list not indexed when it
// lies in the collection, and a broken list refused whole, naming every bad line, with no site written.
// Run by ctest with MOSAIC_CLI and MOSAIC_MODEL_DIR.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makePng } from '../../support/media_fixtures.mjs';

const cli = process.env.MOSAIC_CLI;
const modelDirectory = process.env.MOSAIC_MODEL_DIR;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(modelDirectory && fs.existsSync(modelDirectory), 'MOSAIC_MODEL_DIR must point at the local model');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-captions-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let caseCount = 0;
function makeCase(files) {
  const root = path.join(scratch, `case-${++caseCount}`);
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), content);
  }
  return root;
}

const jsonLines = (entries) => entries.map((entry) => (typeof entry === 'string' ? entry : JSON.stringify(entry))).join('\n');

function index(root, captions, extra = []) {
  const outcome = spawnSync(cli, ['index', path.join(root, 'collection'), '--out', path.join(root, 'site'), '--provider', 'local',
    '--model-dir', modelDirectory, '--cache-dir', path.join(root, 'cache'), '--captions', captions, '--json', ...extra],
  { encoding: 'utf8' });
  // With --json a failure is one {"error": {"code", "message"}} object on stdout: `failure` is its message.
  const failure = outcome.status !== 0 ? JSON.parse(outcome.stdout).error.message : '';
  return { status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr, failure };
}

function query(root, text) {
  const outcome = spawnSync(cli, ['query', path.join(root, 'site'), text, '-k', '1', '--model-dir', modelDirectory, '--json'],
    { encoding: 'utf8' });
  assert.equal(outcome.status, 0, outcome.stderr);
  return JSON.parse(outcome.stdout).results[0].item;
}

// Two images with no text of their own (no Description, names that say nothing), a text note, and a
// sidecar the list overrides.
const collectionFiles = () => ({
  'collection/animals/image-1.png': makePng({}),
  'collection/vehicles/image-2.png': makePng({}),
  'collection/vehicles/image-2.txt': 'a bowl of tomato soup',
  'collection/notes/plain.txt': 'a note about the weather in the mountains',
});

test('captions from the list are embedded and titled, ahead of a sidecar, and unmatched paths are reported', () => {
  const root = makeCase({
    ...collectionFiles(),
    'collection/captions.jsonl': jsonLines([
      { path: 'animals/image-1.png', caption: 'a green frog sitting on a lily pad in a pond', title: 'Frog' },
      '',
      { path: 'vehicles/image-2.png', caption: 'a red racing bicycle with thin wheels' },
      { path: 'notes/plain.txt', caption: 'text files are not captioned' },
      { path: 'animals/missing.png', caption: 'no such file' },
    ]),
  });
  const indexed = index(root, path.join(root, 'collection', 'captions.jsonl'));
  assert.equal(indexed.status, 0, indexed.stderr);
  const report = JSON.parse(indexed.stdout);
  assert.equal(report.listed_captions, 4);
  assert.equal(report.listed_captions_applied, 2);
  const unused = Object.fromEntries(report.listed_captions_unused.map((entry) => [entry.path, entry.reason]));
  assert.match(unused['notes/plain.txt'], /^line 4: not an image/);
  assert.match(unused['animals/missing.png'], /^line 5: no such file/);
  assert.equal(report.files_indexed, 3, 'the two images and the note; the list itself is not indexed');
  assert.ok(!report.skipped.some((file) => file.path === 'captions.jsonl'));

  const frog = query(root, 'frog in a pond');
  assert.equal(frog.source, 'animals/image-1.png');
  assert.equal(frog.title, 'Frog', 'the listed title');
  assert.equal(frog.label, 'animals');
  const bicycle = query(root, 'bicycle');
  assert.equal(bicycle.source, 'vehicles/image-2.png', 'the list wins over the sidecar');
  assert.equal(bicycle.title, 'a red racing bicycle with thin wheels', 'without a title the caption is the title');
  assert.equal(bicycle.snippet, 'a red racing bicycle with thin wheels', 'the embedded text is the listed caption, not the sidecar');
});

test('a list with bad lines is refused whole, each bad line named by its number, and no site is written', () => {
  const longCaption = 'word '.repeat(8000);
  const root = makeCase({
    ...collectionFiles(),
    'captions.jsonl': Buffer.concat([Buffer.from(jsonLines([
      { path: 'animals/image-1.png', caption: 'a frog' },      // 1: good
      '{"path": "vehicles/image-2.png", "caption": ',         // 2: cut JSON
      '["animals/image-1.png", "a frog"]',                    // 3: not an object
      { path: 'animals/image-1.png', caption: 'again' },       // 4: repeated path
      { path: '../outside.png', caption: 'escape' },           // 5: .. part
      { path: '/etc/passwd', caption: 'absolute' },            // 6: absolute
      { path: 'vehicles/image-2.png' },                        // 7: no caption
      { path: 'vehicles/image-2.png', caption: '   ' },        // 8: empty caption
      { path: 'vehicles/image-2.png', caption: 'x', captoin: 'typo' },  // 9: unknown key
      { path: 'vehicles/image-2.png', caption: longCaption },  // 10: too long
      { path: 7, caption: 'a number' },                        // 11: path not a string
    ]) + '\n'), Buffer.from('{"path": "a\xff.png", "caption": "x"}', 'latin1')]),  // 12: not UTF-8
  });
  const refused = index(root, path.join(root, 'captions.jsonl'));
  assert.equal(refused.status, 1);
  assert.match(refused.failure, /has 11 bad lines \(nothing was indexed\)/);
  const expected = {
    2: /not valid JSON/, 3: /not a JSON object/, 4: /already given on line 1/, 5: /plain relative path/, 6: /not absolute/,
    7: /"caption" is missing/, 8: /"caption" is empty/, 9: /unknown key "captoin"/, 10: /over the 32768/,
    11: /"path" is missing or not a string/, 12: /not valid JSON \(or not UTF-8\)/,
  };
  for (const [line, pattern] of Object.entries(expected)) {
    const reported = refused.failure.split('\n').find((text) => text.trim().startsWith(`line ${line}:`));
    assert.ok(reported, `line ${line} is reported: ${refused.failure}`);
    assert.match(reported, pattern);
  }
  assert.ok(!refused.failure.includes('line 1:'), 'the good line is not reported');
  assert.ok(!fs.existsSync(path.join(root, 'site', 'manifest.json')), 'no index is written');

  const missing = index(root, path.join(root, 'no-such-captions.jsonl'));
  assert.equal(missing.status, 1);
  assert.match(missing.failure, /cannot read the captions file/);
});

test('a broken list leaves an existing index as it was', () => {
  const root = makeCase({ ...collectionFiles(), 'good.jsonl': jsonLines([{ path: 'animals/image-1.png', caption: 'a frog' }]),
    'bad.jsonl': 'not json at all\n' });
  assert.equal(index(root, path.join(root, 'good.jsonl')).status, 0);
  const manifest = fs.readFileSync(path.join(root, 'site', 'manifest.json'), 'utf8');
  const refused = index(root, path.join(root, 'bad.jsonl'));
  assert.equal(refused.status, 1);
  assert.match(refused.failure, /line 1: not valid JSON/);
  assert.equal(fs.readFileSync(path.join(root, 'site', 'manifest.json'), 'utf8'), manifest);
});

test('--help explains --captions', () => {
  const help = spawnSync(cli, ['index', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--captions FILE/);
  assert.match(help.stdout, /line number/);
});
