// mosaic index and Gemini's per-input limits, against the test double: an MP3 over 80 s is cut at
// frame boundaries into segments with their offsets (videos over 120 s are cut in index_video.test.mjs);
// a PDF over 6 pages is cut into parts of at most 6 pages with QPDF, each an item with its
// page range (the double keeps what it received, and qpdf counts its pages); audio, video and PDF items get a playable `media` copy
// (and a WAV a waveform thumbnail), kept and removed like thumbnails; a text query on the Gemini-built
// index is embedded through the gemini provider. Run by ctest with MOSAIC_CLI and MOSAIC_GEMINI_DOUBLE.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../../support/processes.mjs';
import { makeWav } from '../../support/media_fixtures.mjs';
import { makeMp3, makePdf, mp3FrameBytes, mp3FrameSamples, mp3SampleRate } from '../../support/container_fixtures.mjs';
import { makePdf as makeTextPdf } from '../../support/pdf_fixtures.mjs';
import { makeVideo } from '../../support/video_fixtures.mjs';
import { siteItems, writeCollection } from '../../support/site_reading.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');

const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-limits-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const makeFolder = (name, files) => writeCollection(path.join(scratch, name), files);

const startDouble = (extra = []) =>
  startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text', ...extra], { ready: /listening on 127\.0\.0\.1:(\d+)/ });
const doubleStats = async (double) => (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json();
const geminiProvider = (double) =>
  ['--provider', 'gemini', '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--upstream-attempts', '2'];

function index(root, double) {
  const outcome = spawnSync(cli, ['index', path.join(root, 'collection'), '--out', path.join(root, 'site'), ...geminiProvider(double),
    '--cache-dir', path.join(root, 'cache'), '--json'], { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey } });
  assert.equal(outcome.status, 0, outcome.stderr);
  return JSON.parse(outcome.stdout);
}

test('MP3s over 80 s are cut at frame boundaries; long PDFs split; media copies are written', async () => {
  const double = await startDouble();
  try {
    const longMp3 = makeMp3({ seconds: 200 });
    const shortMp3 = makeMp3({ seconds: 10 });
    const shortPdf = makePdf({ pages: 2 });
    const root = makeFolder('limits', {
      'audio/long.mp3': longMp3,
      'audio/short.mp3': shortMp3,
      'audio/broken.mp3': Buffer.concat([makeMp3({ seconds: 1 }), Buffer.from('this is not a frame header'), makeMp3({ seconds: 1, id3: false })]),
      'audio/tone.wav': makeWav({ comment: 'a tone', seconds: 2 }),
      'video/short.mp4': makeVideo({ black: 1, seconds: 4 }),
      'papers/short.pdf': shortPdf,
      'papers/long.pdf': makePdf({ pages: 7 }),
    });
    const site = path.join(root, 'site');
    const report = index(root, double);
    const reasons = Object.fromEntries(report.skipped.map((file) => [file.path, file.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['audio/broken.mp3']);
    assert.match(reasons['audio/broken.mp3'], /not a usable MP3: .*no MPEG audio frame at byte/);

    const items = siteItems(site);
    const bySource = (source) => items.filter((item) => item.source === source).sort((a, b) => (a.source_offset ?? 0) - (b.source_offset ?? 0));
    // 200 s is 7657 frames; a segment holds floor(80 * 44100 / 1152) = 3062 frames.
    const frames = Math.ceil((200 * mp3SampleRate) / mp3FrameSamples);
    const perSegment = Math.floor((80 * mp3SampleRate) / mp3FrameSamples);
    const cutMilliseconds = (frame) => Math.floor((frame * mp3FrameSamples * 1000) / mp3SampleRate);
    const segments = bySource('audio/long.mp3');
    assert.deepEqual(segments.map((item) => item.source_offset), [0, cutMilliseconds(perSegment), cutMilliseconds(2 * perSegment)]);
    let audioBytes = 0;
    for (const segment of segments) {
      assert.equal(segment.mime_type, 'audio/mpeg');
      assert.match(segment.media, /^media\/[0-9a-f]{64}\.mp3$/);
      const copy = fs.readFileSync(path.join(site, segment.media));
      assert.equal(copy.length % mp3FrameBytes, 0, 'a segment is whole frames');
      assert.equal(copy.readUInt32BE(0), 0xfffb9044, 'a segment starts at a frame header');
      assert.ok(copy.length <= perSegment * mp3FrameBytes);
      audioBytes += copy.length;
    }
    assert.equal(audioBytes, frames * mp3FrameBytes, 'the segments hold every frame once (the ID3 tag is not copied)');
    assert.match(segments[1].title, /long\.mp3 \(1:19–2:39\)/);

    const short = bySource('audio/short.mp3');
    assert.equal(short.length, 1);
    assert.equal(short[0].source_offset, undefined);
    assert.equal(short[0].media, `media/${sha256(shortMp3)}.mp3`, 'a short MP3 is kept whole, content-addressed');

    const pdf = bySource('papers/short.pdf')[0];
    assert.equal(pdf.media, `media/${sha256(shortPdf)}.pdf`);
    // 7 pages: the first 6, then the 7th, instead of the whole file skipped.
    const longPdf = bySource('papers/long.pdf');
    assert.deepEqual(longPdf.map((item) => [item.title, item.source_offset, item.last_page]),
      [['long.pdf (pages 1–6 of 7)', 1, 6], ['long.pdf (page 7 of 7)', 7, 7]]);
    assert.deepEqual(fs.readFileSync(path.join(site, pdf.media)), shortPdf);
    assert.match(bySource('video/short.mp4')[0].media, /^media\/[0-9a-f]{64}\.mp4$/);

    const tone = bySource('audio/tone.wav')[0];
    assert.match(tone.media, /^media\/[0-9a-f]{64}\.wav$/);
    assert.equal(fs.readFileSync(path.join(site, tone.media)).subarray(0, 4).toString('latin1'), 'RIFF');
    assert.match(tone.thumbnail, /^thumbnails\/[0-9a-f]{64}\.jpg$/, 'a WAV gets a waveform picture');
    assert.deepEqual([...fs.readFileSync(path.join(site, tone.thumbnail)).subarray(0, 3)], [0xff, 0xd8, 0xff]);
    // MP3 and PDF items have no picture of their own: each kind gets its icon, one file per kind (a
    // video's is its poster frame).
    const iconOf = (source) => bySource(source)[0].thumbnail;
    for (const source of ['audio/short.mp3', 'video/short.mp4', 'papers/short.pdf']) {
      assert.match(iconOf(source) ?? '', /^thumbnails\/[0-9a-f]{64}\.jpg$/, `${source} has a kind icon`);
      assert.deepEqual([...fs.readFileSync(path.join(site, iconOf(source))).subarray(0, 3)], [0xff, 0xd8, 0xff]);
    }
    assert.ok(segments.every((segment) => segment.thumbnail === iconOf('audio/short.mp3')), 'every MP3 shares the audio icon');
    assert.equal(new Set([iconOf('audio/short.mp3'), iconOf('video/short.mp4'), iconOf('papers/short.pdf'), tone.thumbnail]).size, 4);

    // A media copy outlives its item by one generation (a client may hold the previous manifest).
    fs.rmSync(path.join(root, 'collection', 'papers', 'short.pdf'));
    index(root, double);
    assert.ok(fs.existsSync(path.join(site, pdf.media)), 'still named by the previous generation');
    index(root, double);
    assert.ok(!fs.existsSync(path.join(site, pdf.media)), 'removed once neither generation names it');
    assert.ok(fs.existsSync(path.join(site, tone.media)));
  } finally {
    await double.stop();
  }
});

test('a file too large for one 20 MB request is skipped with its sizes; large files that fit go in calls within the cap', async () => {
  const double = await startDouble();
  try {
    // A PDF padded with a comment: the page count stays 1, the size is what the test needs.
    const paddedPdf = (bytes, fill) => {
      const pdf = makePdf({ pages: 1 });
      return Buffer.concat([pdf, Buffer.from('%'), Buffer.alloc(bytes - pdf.length - 2, fill), Buffer.from('\n')]);
    };
    const root = makeFolder('request-cap', {
      'papers/too-large.pdf': paddedPdf(16_000_000, 'x'), // 21.3 MB once base64-encoded
      'papers/fits-one.pdf': paddedPdf(14_500_000, 'y'), // 19.3 MB encoded: two of them need two calls
      'papers/fits-two.pdf': paddedPdf(14_500_000, 'z'),
      'notes/small.txt': 'a note that travels with the papers',
      // 50 s of 96 kHz stereo are 19.2 MB: within Gemini's 80 s, too large for one request, so the
      // recording is cut into segments that fit (40 s is 15.4 MB) instead of being skipped.
      'audio/hifi.wav': makeWav({ seconds: 50, sampleRate: 96_000, channels: 2 }),
    });
    const report = index(root, double);
    const reasons = Object.fromEntries(report.skipped.map((file) => [file.path, file.reason]));
    assert.deepEqual(Object.keys(reasons), ['papers/too-large.pdf']);
    assert.match(reasons['papers/too-large.pdf'],
      /^papers\/too-large\.pdf: 15\.3 MB of media is 20\.4 MB once base64-encoded; one Gemini request holds at most 20 MB/);
    const sources = siteItems(path.join(root, 'site')).map((item) => item.source).sort();
    assert.deepEqual(sources, ['audio/hifi.wav', 'audio/hifi.wav', 'notes/small.txt', 'papers/fits-one.pdf', 'papers/fits-two.pdf']);
    const hifi = siteItems(path.join(root, 'site')).filter((item) => item.source === 'audio/hifi.wav');
    assert.deepEqual(hifi.map((item) => item.source_offset ?? 0).sort((a, b) => a - b), [0, 40_000]);
    const stats = await doubleStats(double);
    assert.equal(stats.rejected_calls, 0);
    assert.ok(stats.largest_body_bytes <= 20 * 1024 * 1024, `a call of ${stats.largest_body_bytes} bytes`);
    assert.ok(stats.batch_calls >= 3, `${stats.batch_calls} calls for two 19.3 MB and two 15.4 and 3.8 MB inputs`);
  } finally {
    await double.stop();
  }
});

test('a 14-page PDF becomes three items of pages 1–6, 7–12 and 13–14; Gemini gets three PDFs of at most 6 pages', async () => {
  const received = path.join(scratch, 'received-media');
  const double = await startDouble(['--keep-media', received]);
  try {
    const pageLines = Array.from({ length: 14 }, (_, index) => [`Harbour pilot handbook page ${index + 1}`, `tide table ${index + 1}`]);
    const original = makeTextPdf(pageLines);
    const root = makeFolder('split-pdf', { 'handbook/pilot.pdf': original });
    const report = index(root, double);
    assert.deepEqual(report.skipped, []);
    const site = path.join(root, 'site');
    const parts = siteItems(site).sort((a, b) => a.source_offset - b.source_offset);
    assert.deepEqual(parts.map((item) => [item.title, item.source_offset, item.last_page]), [
      ['pilot.pdf (pages 1–6 of 14)', 1, 6],
      ['pilot.pdf (pages 7–12 of 14)', 7, 12],
      ['pilot.pdf (pages 13–14 of 14)', 13, 14],
    ]);
    assert.equal(new Set(parts.map((item) => item.id)).size, 3);
    for (const item of parts) {
      assert.equal(item.source, 'handbook/pilot.pdf');
      assert.equal(item.modality, 'pdf');
      assert.equal(item.mime_type, 'application/pdf');
      assert.equal(item.text_from, 'pdf');
      // The snippet is the part's own pages, read by Poppler; the media copy is the whole PDF, opened at the page.
      assert.ok(item.snippet.startsWith(`Harbour pilot handbook page ${item.source_offset}`), item.snippet);
      assert.equal(item.media, `media/${sha256(original)}.pdf`);
      assert.match(item.thumbnail, /^thumbnails\/[0-9a-f]{64}\.jpg$/);
    }
    // The parts' words are in the keyword index: page 13's text finds the last part, not the first.
    const query = spawnSync(cli, ['query', site, '"tide table 13"', '--mode', 'keyword', '--json'], { encoding: 'utf8' });
    assert.equal(query.status, 0, query.stderr);
    const hits = JSON.parse(query.stdout).results;
    assert.equal(hits[0].item.source_offset, 13);

    // What reached the double: three PDFs, counted by qpdf (not by Mosaic), of 6, 6 and 2 pages in
    // which the pages are the original's (their drawn text, once qpdf writes the streams uncompressed).
    const pdfs = fs.readdirSync(received).filter((name) => name.endsWith('.pdf')).map((name) => path.join(received, name));
    assert.equal(pdfs.length, 3);
    const described = pdfs.map((file) => {
      const counted = spawnSync('qpdf', ['--show-npages', file], { encoding: 'utf8' });
      assert.equal(counted.status, 0, counted.stderr);
      const uncompressed = spawnSync('qpdf', ['--qdf', '--object-streams=disable', file, '-'], { encoding: 'latin1', maxBuffer: 1 << 26 });
      assert.equal(uncompressed.status, 0, uncompressed.stderr);
      const pages = [...uncompressed.stdout.matchAll(/\(Harbour pilot handbook page (\d+)\)/g)].map((match) => Number(match[1]));
      return { count: Number(counted.stdout.trim()), pages: pages.sort((a, b) => a - b) };
    }).sort((a, b) => a.pages[0] - b.pages[0]);
    assert.deepEqual(described.map((pdf) => pdf.count), [6, 6, 2]);
    assert.deepEqual(described.map((pdf) => pdf.pages), [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], [13, 14]]);
    assert.ok(!fs.readdirSync(path.join(root, 'collection', 'handbook')).some((name) => name !== 'pilot.pdf'),
      'the parts are made in memory, never written beside the original');
  } finally {
    await double.stop();
  }
});

test('a text query on a Gemini-built index is embedded through the gemini provider', async () => {
  const double = await startDouble();
  try {
    const root = makeFolder('query', {
      'sounds/bell.wav': makeWav({ comment: 'a church bell ringing' }),
      'sounds/rain.wav': makeWav({ comment: 'rain on a tin roof', seed: 3 }),
      'notes/boats.txt': 'boats in the harbour',
    });
    const site = path.join(root, 'site');
    index(root, double);
    const before = await doubleStats(double);
    // The double embeds text by hash (--hash-text): with no query prefix the query text is the bell
    // WAV's comment, hence its vector; the WAV's document prefix is a part of its own, so about 0.7.
    const query = spawnSync(cli, ['query', site, 'a church bell ringing', '-k', '3', '--no-cache', ...geminiProvider(double),
      '--task-prefix', 'query=', '--json'],
      { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey } });
    assert.equal(query.status, 0, query.stderr);
    const answer = JSON.parse(query.stdout);
    assert.equal(answer.results[0].item.source, 'sounds/bell.wav');
    assert.ok(answer.results[0].score > 0.6 && answer.results[1].score < 0.3, query.stdout);
    const afterQuery = await doubleStats(double);
    assert.equal(afterQuery.calls - before.calls, 1, 'the query text went to the Gemini API once');
    assert.ok(!query.stdout.includes(apiKey) && !query.stderr.includes(apiKey), 'the key is never printed');

    const keyless = { ...process.env };
    delete keyless.GEMINI_API_KEY;
    const refused = spawnSync(cli, ['query', site, 'bells', '--no-cache', ...geminiProvider(double)], { encoding: 'utf8', env: keyless });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /GEMINI_API_KEY/);
  } finally {
    await double.stop();
  }
});
