// Files prepared side by side give the same site as files prepared one after another: mosaic index
// with --concurrency 1 and --concurrency 4 over a folder of screenshots, recordings, PDFs, a video,
// text notes and damaged files writes byte-identical site files and the same report (items, skipped
// files in walk order, extraction counts), with the local model. Everything is made in the test:
// images by ImageMagick, PDFs by tests/support/pdf_fixtures.mjs, speech by espeak-ng, the video by
// ffmpeg's lavfi sources. Run by ctest with MOSAIC_CLI.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makePdf } from '../../support/pdf_fixtures.mjs';
import { makeVideo } from '../../support/video_fixtures.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
const convert = '/usr/bin/convert';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-concurrency-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function run(program, args) {
  const outcome = spawnSync(program, args, { encoding: 'utf8' });
  assert.equal(outcome.status, 0, `${program} ${args.join(' ')}: ${outcome.stderr}`);
  return outcome.stdout;
}

const collection = path.join(scratch, 'collection');
for (const folder of ['calls', 'docs', 'shots', 'notes']) fs.mkdirSync(path.join(collection, folder), { recursive: true });
// The walk takes folders in name order: the recordings (slowest to prepare) come first, so the
// screenshots and PDFs after them are prepared while the first waits to be heard.
const speak = (file, sentence) => run('espeak-ng', ['-v', 'en-us+f2', '-s', '160', '-w', file, sentence]);
speak(path.join(collection, 'calls/call-0413.wav'), 'please call me back about the invoice');
const spoken = path.join(scratch, 'printer.wav');
speak(spoken, 'the printer on the second floor is out of paper');
run('ffmpeg', ['-loglevel', 'error', '-i', spoken, path.join(collection, 'calls/call-0414.mp3')]);
fs.writeFileSync(path.join(collection, 'calls/cut.wav'), fs.readFileSync(path.join(collection, 'calls/call-0413.wav')).subarray(0, 300));
fs.writeFileSync(path.join(collection, 'docs/guide.pdf'), makePdf([
  ['Installation guide', 'Unpack the archive into an empty folder.'],
  ['Troubleshooting', 'A flickering lighthouse lamp means the fuse is loose.'],
]));
fs.writeFileSync(path.join(collection, 'docs/memo.pdf'), makePdf([['Memo to the harbour master', 'Paint the pier.']]));
fs.writeFileSync(path.join(collection, 'docs/truncated.pdf'), makePdf([['Quarterly figures']]).subarray(0, 120));
const shots = [
  ['dialog.png', 'Error 500: session expired'], ['terminal.png', 'connection refused on port 8080'],
  ['invoice.png', 'Invoice 2041 paid by bank transfer'], ['printer.png', 'Printer out of paper and toner'],
];
for (const [name, text] of shots) {
  run(convert, ['-size', '640x160', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '26', '-fill', '#222222',
    '-annotate', '+30+90', text, path.join(collection, 'shots', name)]);
}
run(convert, ['-size', '320x240', '-seed', '7', 'plasma:fractal', path.join(collection, 'shots/clouds.png')]);
fs.writeFileSync(path.join(collection, 'walkthrough.mp4'), makeVideo({ black: 1, seconds: 4, width: 320, height: 240 }));
for (let note = 0; note < 6; note++) {
  fs.writeFileSync(path.join(collection, `notes/ticket-${note}.txt`), `Ticket ${1000 + note}: the lighthouse lamp ${note} flickers.`);
}

function index(concurrency) {
  const site = path.join(scratch, `site-${concurrency}`);
  const outcome = spawnSync(cli, ['index', collection, '--out', site, '--no-cache', '--json', '--concurrency', String(concurrency)],
    { encoding: 'utf8' });
  assert.equal(outcome.status, 0, outcome.stderr);
  return { site, report: JSON.parse(outcome.stdout), stderr: outcome.stderr };
}

// Every file under a folder, by relative path, with its bytes.
function filesOf(root) {
  const files = new Map();
  const visit = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(full);
      else files.set(path.relative(root, full), fs.readFileSync(full));
    }
  };
  visit(root);
  return files;
}

// The report without its timings, which differ from run to run.
function withoutTimes(report) {
  const { seconds, site, ...rest } = report;
  const extraction = Object.fromEntries(Object.entries(rest.extraction).filter(([name]) => !name.endsWith('_seconds') || name === 'transcribed_audio_seconds'));
  delete rest.preparation_workers;
  return { ...rest, extraction };
}

const one = index(1);
const four = index(4);

test('the files were really read: text from screenshots, recordings and PDFs, damaged files skipped', () => {
  for (const { report } of [one, four]) {
    assert.equal(report.extraction.ocr_images, 5);
    assert.ok(report.extraction.ocr_images_with_text >= 3, JSON.stringify(report.extraction));
    assert.equal(report.extraction.pdf_pages, 3);
    assert.equal(report.extraction.videos, 1);
    assert.ok(report.extraction.transcribed_files >= 2, JSON.stringify(report.extraction));
    assert.deepEqual(report.skipped.map((file) => file.path), ['calls/cut.wav', 'docs/truncated.pdf']);
  }
});

test('--concurrency sets the preparation workers, at most one a core', () => {
  assert.equal(one.report.preparation_workers, 1);
  assert.equal(four.report.preparation_workers, Math.min(4, os.cpus().length));
});

test('one worker and several write byte-identical site files and the same report', () => {
  const first = filesOf(one.site), second = filesOf(four.site);
  assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort());
  for (const [name, bytes] of first) assert.ok(bytes.equals(second.get(name)), `${name} differs`);
  assert.ok(first.size > 10, `only ${first.size} site files`);
  assert.deepEqual(withoutTimes(four.report), withoutTimes(one.report));
});
