// What is said in recordings, end to end with the local model: a sentence spoken by espeak-ng (WAV)
// and another encoded as MP3 are found by `mosaic query` with words only spoken in them, their items
// carry text_from "speech" and transcript segments with times, a re-run hears nothing again (the
// transcript cache), --transcribe off hears nothing, and hostile audio files are skipped with their
// reasons while the rest is indexed. Recordings are made in the test by espeak-ng and ffmpeg.
// Run by ctest with MOSAIC_CLI.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { queryResults, siteItems } from '../../support/site_reading.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-speech-cli-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function run(program, args) {
  const outcome = spawnSync(program, args, { encoding: 'utf8' });
  assert.equal(outcome.status, 0, `${program} ${args.join(' ')}: ${outcome.stderr}`);
  return outcome.stdout;
}

const mosaic = (...args) => spawnSync(cli, args, { encoding: 'utf8' });

const query = (site, text, ...options) => queryResults(cli, site, text, ...options);

const collection = path.join(scratch, 'collection');
fs.mkdirSync(path.join(collection, 'calls'), { recursive: true });
const speak = (file, sentence) => run('espeak-ng', ['-v', 'en-us+f2', '-s', '160', '-w', file, sentence]);
// Words this voice is heard saying reliably (README, "Text from speech"): "second floor", "call me back".
speak(path.join(collection, 'calls/call-0413.wav'), 'please call me back about the invoice');
const spoken = path.join(scratch, 'printer.wav');
speak(spoken, 'the printer on the second floor is out of paper');
run('ffmpeg', ['-loglevel', 'error', '-i', spoken, path.join(collection, 'calls/call-0414.mp3')]);
fs.writeFileSync(path.join(collection, 'notes.txt'), 'A note about the garden and its roses.');
// Hostile: a WAV cut inside its sound, bytes that are no sound behind a RIFF magic, an MP3 cut in
// its first frame, and a video with no audio stream (indexed, but with nothing heard).
const whole = fs.readFileSync(path.join(collection, 'calls/call-0413.wav'));
fs.writeFileSync(path.join(collection, 'calls/truncated.wav'), whole.subarray(0, 300));
fs.writeFileSync(path.join(collection, 'calls/noise.wav'), Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(64, 0xff)]));
const mp3 = fs.readFileSync(path.join(collection, 'calls/call-0414.mp3'));
fs.writeFileSync(path.join(collection, 'calls/cut.mp3'), mp3.subarray(0, 200));
run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1', '-c:v', 'mpeg4', '-an',
  path.join(collection, 'silent.mp4')]);

const cache = path.join(scratch, 'cache');
const site = path.join(scratch, 'site');
const first = mosaic('index', collection, '--out', site, '--cache-dir', cache, '--json');
const report = first.status === 0 ? JSON.parse(first.stdout) : null;

test('recordings are transcribed and hostile ones skipped with reasons', () => {
  assert.equal(first.status, 0, first.stderr);
  assert.equal(report.extraction.transcribed_files, 2);
  assert.equal(report.extraction.files_with_speech, 2);
  assert.ok(report.extraction.transcribed_audio_seconds > 4, JSON.stringify(report.extraction));
  const reasons = Object.fromEntries(report.skipped.map((entry) => [entry.path, entry.reason]));
  assert.match(reasons['calls/truncated.wav'], /truncated WAV/);
  assert.ok(reasons['calls/noise.wav'], JSON.stringify(report.skipped));
  assert.ok(reasons['calls/cut.mp3'], JSON.stringify(report.skipped));
  // The video has no sound to hear: it is indexed by its name, not skipped.
  assert.ok(!reasons['silent.mp4'], JSON.stringify(report.skipped));
});

test('items carry text_from speech, the transcript with times, and a snippet of it', () => {
  const items = siteItems(site);
  const call = items.find((item) => item.source === 'calls/call-0413.wav');
  assert.equal(call.text_from, 'speech');
  assert.ok(call.transcript.length >= 1);
  const said = call.transcript.map((segment) => segment.text).join(' ');
  assert.match(said, /call me back/);
  for (const segment of call.transcript) {
    assert.ok(segment.end_ms > segment.start_ms && segment.end_ms <= 3500, JSON.stringify(segment));
  }
  assert.match(call.snippet, /call me back/);
  const printer = items.find((item) => item.source === 'calls/call-0414.mp3');
  assert.equal(printer.text_from, 'speech');
  // "second floor" starts about half a second in: the segment says where to start playing.
  const floor = printer.transcript.find((segment) => /second floor/.test(segment.text));
  assert.ok(floor && floor.start_ms >= 200 && floor.start_ms <= 1500, JSON.stringify(printer.transcript));
});

test('words only spoken in a recording find it, by keyword and by the local model', () => {
  const keyword = query(site, 'second floor', '--mode', 'keyword', '-k', '3');
  assert.equal(keyword[0]?.item.source, 'calls/call-0414.mp3', JSON.stringify(keyword));
  const hybrid = query(site, 'call me back', '-k', '3');
  assert.equal(hybrid[0]?.item.source, 'calls/call-0413.wav', JSON.stringify(hybrid));
});

test('a re-run takes the transcripts from the cache; --transcribe off hears nothing', () => {
  const again = mosaic('index', collection, '--out', site, '--cache-dir', cache, '--json');
  assert.equal(again.status, 0, again.stderr);
  const extraction = JSON.parse(again.stdout).extraction;
  assert.equal(extraction.transcript_cache_hits, 2);
  assert.equal(extraction.transcribed_audio_seconds, 0);
  assert.equal(fs.readdirSync(path.join(cache, 'transcripts')).filter((name) => name.endsWith('.json')).length, 2);
  const quiet = path.join(scratch, 'site-off');
  const off = mosaic('index', collection, '--out', quiet, '--no-cache', '--transcribe', 'off', '--json');
  assert.equal(off.status, 0, off.stderr);
  assert.equal(JSON.parse(off.stdout).extraction.transcribed_files, 0);
  assert.ok(siteItems(quiet).every((item) => item.text_from === undefined && item.transcript === undefined));
  const wrong = mosaic('index', collection, '--out', quiet, '--transcribe', 'maybe');
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /--transcribe must be auto, on or off/);
});

// A recording of about 40 s: six sentences said twice. Heard in several utterances of at most 20 s,
// it takes the transcriber seconds, during which no batch finishes.
const longFolder = path.join(scratch, 'long');
fs.mkdirSync(longFolder);
const longSentences = [
  'please call me back about the invoice', 'the quarterly budget meeting moved to thursday afternoon',
  'my password expired and the login page shows an error', 'we shipped the order yesterday by express mail',
  'the printer on the second floor is out of paper', 'can you send the contract to the legal team today',
];
speak(path.join(longFolder, 'long-call.wav'), [...longSentences, ...longSentences].join('. '));
const heardPosition = /transcribing long-call\.wav \((\d+):(\d\d) of (\d+):(\d\d)\)/g;
const toSeconds = (minutes, seconds) => Number(minutes) * 60 + Number(seconds);

test('without a terminal, the progress lines name the recording being heard and how far it is, and --json stays clean', () => {
  const outcome = mosaic('index', longFolder, '--out', path.join(scratch, 'site-long'), '--no-cache', '--json');
  assert.equal(outcome.status, 0, outcome.stderr);
  const report = JSON.parse(outcome.stdout);  // stdout holds only the report
  assert.equal(report.extraction.transcribed_files, 1);
  const length = report.extraction.transcribed_audio_seconds;
  assert.ok(length > 25, `${length} s of speech`);
  // A line every 3 s even though no batch finished while the recording was heard.
  const seen = [...outcome.stderr.matchAll(heardPosition)];
  assert.ok(seen.length >= 1, outcome.stderr);
  for (const [, doneMinutes, doneSeconds, totalMinutes, totalSeconds] of seen) {
    assert.equal(toSeconds(totalMinutes, totalSeconds), Math.floor(length), outcome.stderr);
    assert.ok(toSeconds(doneMinutes, doneSeconds) <= Math.floor(length));
  }
  const lines = outcome.stderr.split('\n').filter((line) => line.startsWith('indexing: '));
  assert.ok(!lines.at(-1).includes('transcribing'), 'the last line, after every file, names no step');
});

test('on a terminal, the live line follows the transcriber through the recording', (t) => {
  if (spawnSync('script', ['--version']).status !== 0) {
    t.skip('util-linux script is not installed');
    return;
  }
  const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;
  const reportFile = path.join(scratch, 'long-report.json');
  // stdout to a file, so the pty carries only stderr's live line.
  const command = `${[cli, 'index', longFolder, '--out', path.join(scratch, 'site-long-live'), '--no-cache', '--json'].map(quote).join(' ')} > ${quote(reportFile)}`;
  const outcome = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8' });
  assert.equal(outcome.status, 0, outcome.stdout);
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  assert.equal(report.extraction.transcribed_files, 1);
  const positions = [...outcome.stdout.matchAll(heardPosition)].map(([, minutes, seconds]) => toSeconds(minutes, seconds));
  assert.ok(positions.length >= 2, JSON.stringify(outcome.stdout.slice(0, 3000)));
  for (let index = 1; index < positions.length; index++) assert.ok(positions[index] >= positions[index - 1], JSON.stringify(positions));
  assert.ok(positions.at(-1) > positions[0], `the position moves: ${JSON.stringify(positions)}`);
});
