// What reading text out of media costs `mosaic index` (make bench; issue 15): OCR images per second
// on screenshots with text and on photo-like pictures (which --ocr auto reads and then drops), PDF
// pages per second, the real-time factor of transcription inside the indexer, and the wall time of
// indexing one mixed folder (screenshots, recordings, PDFs, a short video, text notes) with the local
// model, every extractor on against `--ocr off --transcribe off`. Everything is made here: images by
// ImageMagick, PDFs by tests/support/pdf_fixtures.mjs, speech by espeak-ng, the video by ffmpeg's lavfi
// sources (tests/support/video_fixtures.mjs). Every run starts cold (--no-cache: no embedding cache and
// no transcript cache). The rates are the indexer's own timings of each step (its --json `extraction`);
// the folder times are wall clock of the whole command. The transcriber's word error rate is measured
// by speech_benchmark.mjs. The mixed folder is also indexed with --concurrency 1 (files prepared one
// after another) beside the default (files prepared on min(4, cores) workers).
// Usage: node tests/bench/extractor_benchmark.mjs build-release/bin/mosaic [--runs N] [--mixed-only]
//   --mixed-only: only the mixed-folder sets (not the per-step rates), for a quick comparison
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { makePdf } from '../support/pdf_fixtures.mjs';
import { makeVideo } from '../support/video_fixtures.mjs';

const mosaicBinary = process.argv[2];
if (!mosaicBinary) throw new Error('usage: extractor_benchmark.mjs MOSAIC_BINARY [--runs N]');
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
const mixedOnly = process.argv.includes('--mixed-only');
const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const resultsPath = path.join(repository, 'build', 'bench', 'extractor-results.json');
const cachePrefix = path.join(process.env.MOSAIC_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mosaic'), 'npm');
const modelDirectory = path.join(cachePrefix, 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');
// ImageMagick itself (the path the tests use), not whatever `convert` is first on PATH.
const convert = '/usr/bin/convert';

function run(program, args) {
  const outcome = spawnSync(program, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (outcome.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${outcome.stderr}`);
  return outcome.stdout;
}

const sentences = [
  'Error 500: the session expired, please sign in again',
  'Connection refused on port 8080 while retrying the upstream request',
  'Invoice 2041 was paid on the third of March by bank transfer',
  'The printer on the second floor is out of paper and toner',
  'Quarterly budget review moved to Thursday afternoon in room B',
  'Your password must contain at least twelve characters',
  'Shipment delayed: the parcel is held at the customs office',
  'Click Save to keep your changes before closing the editor',
];
const lineOf = (index) => sentences[index % sentences.length];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-extractor-bench-'));
const folder = (name) => {
  const made = path.join(work, name);
  fs.mkdirSync(made, { recursive: true });
  return made;
};

// Screenshots full of text (about 190-220 words each, lines at a 36th of the height): a light dialog,
// a dark terminal, a page and a noisy one, at three sizes. Sparse screenshots read faster: time grows
// with the words (and light-on-dark text takes Tesseract about twice as long).
const sizes = [[800, 450], [1280, 720], [1920, 1080]];
function makeScreenshots(target) {
  let made = 0;
  for (const [width, height] of sizes) {
    const points = Math.round(height / 36);
    const lines = Math.floor((height - 60) / (points * 1.8));
    const text = (offset, skip = 0) => Array.from({ length: lines - skip }, (_, row) =>
      ['-annotate', `+30+${50 + Math.round((row + skip) * points * 1.8)}`, lineOf(offset + row)]).flat();
    const base = ['-size', `${width}x${height}`];
    run(convert, [...base, 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', String(points + 8), '-fill', '#b00020',
      '-annotate', `+30+${points + 30}`, lineOf(made), '-fill', '#333333', '-pointsize', String(points),
      ...text(made + 1, 2), path.join(target, `dialog-${width}.png`)]);
    run(convert, [...base, 'xc:#1e1e1e', '-font', 'DejaVu-Sans-Mono', '-pointsize', String(points), '-fill', '#d4d4d4',
      ...text(made + 2), path.join(target, `terminal-${width}.png`)]);
    run(convert, [...base, 'xc:#fdfdf6', '-font', 'DejaVu-Serif', '-pointsize', String(points), '-fill', 'black',
      ...text(made + 3), path.join(target, `page-${width}.jpg`)]);
    run(convert, [...base, 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', String(points), '-fill', '#202020',
      ...text(made + 4), '-attenuate', '0.4', '+noise', 'Gaussian', path.join(target, `noisy-${width}.png`)]);
    made += 4;
  }
  return made;
}

// Photo-like pictures with no text: plasma fractals (clouds, texture), some blurred, PNG and JPEG.
function makePhotos(target) {
  let made = 0;
  for (const [width, height] of sizes) {
    for (const [seed, kind, extension] of [[1, 'plasma:fractal', 'png'], [2, 'plasma:green-blue', 'jpg'], [3, 'plasma:fractal', 'jpg'], [4, 'plasma:tomato-steelblue', 'png']]) {
      run(convert, ['-size', `${width}x${height}`, '-seed', String(seed), kind, ...(seed % 2 ? ['-blur', '0x1'] : []),
        path.join(target, `photo-${seed}-${width}.${extension}`)]);
      made++;
    }
  }
  return made;
}

// PDFs with a text layer: 4 of 25 pages, 24 lines a page.
function makePdfs(target) {
  let pages = 0;
  for (let document = 0; document < 4; document++) {
    const content = Array.from({ length: 25 }, (_, page) =>
      Array.from({ length: 24 }, (_, row) => `${document}.${page}.${row} ${lineOf(document + page + row)}`));
    fs.writeFileSync(path.join(target, `catalogue-${document}.pdf`), makePdf(content));
    pages += content.length;
  }
  return pages;
}

// Recordings: espeak-ng speaking three sentences each (about 10 s), two as WAV and one as MP3.
function makeRecordings(target) {
  for (let index = 0; index < 3; index++) {
    const said = [0, 1, 2].map((offset) => lineOf(index * 3 + offset).replace(/[:]/g, '')).join('. ');
    const wav = path.join(target, `call-${index}.wav`);
    run('espeak-ng', ['-v', 'en-us+f2', '-s', '160', '-w', wav, said]);
    if (index === 2) {
      run('ffmpeg', ['-loglevel', 'error', '-nostdin', '-y', '-i', wav, path.join(target, `call-${index}.mp3`)]);
      fs.rmSync(wav);
    }
  }
}

function index(collection, extra) {
  const site = path.join(work, `site-${path.basename(collection)}`);
  fs.rmSync(site, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const outcome = spawnSync(mosaicBinary, ['index', collection, '--out', site, '--provider', 'local', '--model-dir', modelDirectory,
    '--no-cache', '--json', ...extra], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (outcome.status !== 0) throw new Error(`mosaic index ${collection} failed with ${outcome.status}: ${outcome.stderr}`);
  const report = JSON.parse(outcome.stdout);
  if (report.skipped.length > 0) throw new Error(`mosaic index skipped files: ${JSON.stringify(report.skipped)}`);
  return { seconds, report };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value, digits = 2) => Number(value.toFixed(digits));

try {
  const machine = { cpu: `${os.cpus()[0]?.model} x${os.cpus().length}`, load_average: os.loadavg().map((value) => round(value)), node: process.version };
  console.log(JSON.stringify(machine));
  const screenshots = folder('screenshots'), photos = folder('photos'), pdfs = folder('pdfs');
  const screenshotCount = makeScreenshots(screenshots);
  const photoCount = makePhotos(photos);
  const pageCount = makePdfs(pdfs);
  const results = { date: new Date().toISOString(), machine, runs, sets: [] };

  // One step at a time: the indexer's own time for the step (median of the runs) and the wall time.
  const measureStep = (name, collection, extra, count, unit, timeOf, countOf, check) => {
    const measured = [];
    for (let attempt = 0; attempt < runs; attempt++) measured.push(index(collection, extra));
    for (const { report } of measured) {
      if (countOf(report.extraction) !== count) throw new Error(`${name}: ${countOf(report.extraction)} ${unit} read, ${count} made`);
      check?.(report);
    }
    const stepSeconds = median(measured.map(({ report }) => timeOf(report.extraction)));
    const wallSeconds = median(measured.map(({ seconds }) => seconds));
    const result = { set: name, count, unit, step_seconds: round(stepSeconds, 3), per_second: round(count / stepSeconds, 1),
      milliseconds_each: round(1000 * stepSeconds / count, 1), wall_seconds: round(wallSeconds, 2),
      wall_per_second: round(count / wallSeconds, 1) };
    console.log(JSON.stringify(result));
    results.sets.push(result);
    return measured;
  };
  if (!mixedOnly) {
    measureStep('screenshots (text), --ocr auto', screenshots, ['--transcribe', 'off'], screenshotCount, 'images',
      (extraction) => extraction.ocr_seconds, (extraction) => extraction.ocr_images, (report) => {
        if (report.extraction.ocr_images_with_text !== screenshotCount) throw new Error(`auto kept text of ${report.extraction.ocr_images_with_text} of ${screenshotCount} screenshots`);
      });
    measureStep('photo-like images (no text), --ocr auto', photos, ['--transcribe', 'off'], photoCount, 'images',
      (extraction) => extraction.ocr_seconds, (extraction) => extraction.ocr_images, (report) => {
        if (report.extraction.ocr_images_with_text !== 0) throw new Error(`auto kept text of ${report.extraction.ocr_images_with_text} photos`);
      });
    measureStep('PDF pages (text layer, 4 PDFs of 25 pages)', pdfs, [], pageCount, 'pages',
      (extraction) => extraction.pdf_seconds, (extraction) => extraction.pdf_pages);
  }

  // The mixed folder: a few of each kind, as a support folder holds them.
  const mixed = folder('mixed');
  for (const name of ['dialog-1280.png', 'terminal-800.png', 'page-1920.jpg', 'noisy-800.png']) fs.copyFileSync(path.join(screenshots, name), path.join(mixed, name));
  for (const name of ['photo-1-800.png', 'photo-2-1280.jpg']) fs.copyFileSync(path.join(photos, name), path.join(mixed, name));
  for (const name of ['catalogue-0.pdf', 'catalogue-1.pdf']) fs.copyFileSync(path.join(pdfs, name), path.join(mixed, name));
  makeRecordings(mixed);
  fs.writeFileSync(path.join(mixed, 'walkthrough.mp4'), makeVideo({ black: 1, seconds: 19, width: 640, height: 360 }));
  for (let note = 0; note < 20; note++) {
    fs.writeFileSync(path.join(mixed, `note-${note}.txt`), `Ticket ${1000 + note}: ${lineOf(note)}. ${lineOf(note + 3)}.`);
  }
  const mixedFiles = fs.readdirSync(mixed).length;
  for (const [name, extra] of [['mixed folder, every extractor on (defaults)', []],
    ['mixed folder, every extractor on, --concurrency 1', ['--concurrency', '1']],
    ['mixed folder, --ocr off --transcribe off', ['--ocr', 'off', '--transcribe', 'off']]]) {
    const measured = [];
    for (let attempt = 0; attempt < runs; attempt++) measured.push(index(mixed, extra));
    const extraction = measured.at(-1).report.extraction;
    const result = { set: name, files: mixedFiles, items: measured.at(-1).report.items,
      wall_seconds: round(median(measured.map(({ seconds }) => seconds))),
      wall_seconds_each_run: measured.map(({ seconds }) => round(seconds)), extraction };
    if (extraction.transcribed_audio_seconds > 0) {
      result.transcription_real_time_factor = round(extraction.transcription_seconds / extraction.transcribed_audio_seconds, 3);
    }
    console.log(JSON.stringify(result));
    results.sets.push(result);
  }
  fs.mkdirSync(path.dirname(resultsPath), { recursive: true });
  fs.writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`extractor benchmark: written to ${path.relative(repository, resultsPath)}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
