// Speech to text, measured (make bench): the word error rate and real-time factor of the transcriber
// (server/extract/speech_transcriber, PocketSphinx) on
//   - FSDD, the Free Spoken Digit Dataset in ../shared/data/fsdd-audio (300 WAVs at 8 kHz, each one
//     digit spoken by one of 6 speakers; the file name starts with the digit),
//   - sentences spoken by espeak-ng (voice en-us+f2, 160 words a minute), clean and mixed by sox with
//     white noise at 20 dB and 10 dB signal-to-noise,
// and, for --transcribe auto's cut, the mean posterior on speech against noise and music-like tones.
// Usage: node tests/bench/speech_benchmark.mjs build/bin/mosaic_speech_figures [--fsdd-limit N]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const figures = process.argv[2];
if (!figures) throw new Error('usage: speech_benchmark.mjs MOSAIC_SPEECH_FIGURES [--fsdd-limit N]');
const limitAt = process.argv.indexOf('--fsdd-limit');
const fsddLimit = limitAt > 0 ? Number(process.argv[limitAt + 1]) : Infinity;
const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fsddFolder = path.join(process.env.MOSAIC_SHARED_DATA_DIR ?? path.resolve(repository, '../shared/data'), 'fsdd-audio/recordings');

export const sentences = [
  'please call me back about the invoice',
  'the quarterly budget meeting moved to thursday afternoon',
  'my password expired and the login page shows an error',
  'we shipped the order yesterday by express mail',
  'the printer on the second floor is out of paper',
  'can you send the contract to the legal team today',
];
const digitWords = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

// Word error rate: (substitutions + deletions + insertions) / reference words, by edit distance.
export function wordErrors(reference, hypothesis) {
  const expected = reference.split(/\s+/).filter(Boolean), heard = hypothesis.split(/\s+/).filter(Boolean);
  let previous = Array.from({ length: heard.length + 1 }, (_, index) => index);
  for (let row = 1; row <= expected.length; row++) {
    const current = [row];
    for (let column = 1; column <= heard.length; column++) {
      const substitution = previous[column - 1] + (expected[row - 1] === heard[column - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[column] + 1, current[column - 1] + 1));
    }
    previous = current;
  }
  return { errors: previous[heard.length], words: expected.length };
}

function transcribe(files) {
  const output = execFileSync(figures, files, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  return output.trim().split('\n').map((line) => JSON.parse(line));
}

function summarize(name, rows, referenceOf) {
  let errors = 0, words = 0, audio = 0, seconds = 0, confidence = 0, kept = 0, exact = 0;
  for (const row of rows) {
    if (row.error) throw new Error(`${row.file}: ${row.error}`);
    const scored = wordErrors(referenceOf(row.file), row.heard);
    errors += scored.errors;
    if (scored.errors === 0) exact++;
    words += scored.words;
    audio += row.audio_seconds;
    seconds += row.decoding_seconds + row.recognition_seconds;
    confidence += row.mean_confidence;
    if (row.auto_kept) kept++;
  }
  const result = {
    set: name, files: rows.length, reference_words: words, word_error_rate: errors / words,
    real_time_factor: seconds / audio, audio_seconds: audio, mean_posterior: confidence / rows.length,
    auto_kept_files: kept, files_heard_exactly: exact,
  };
  console.log(JSON.stringify(result));
  return result;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-speech-'));
try {
  console.log(JSON.stringify({ machine: `${os.cpus()[0]?.model} x${os.cpus().length}`, node: process.version }));
  const results = [];
  if (fs.existsSync(fsddFolder)) {
    const files = fs.readdirSync(fsddFolder).filter((name) => name.endsWith('.wav')).sort().slice(0, fsddLimit)
      .map((name) => path.join(fsddFolder, name));
    results.push(summarize('fsdd digits', transcribe(files), (file) => digitWords[Number(path.basename(file)[0])]));
  } else {
    console.log(`skipped FSDD: ${fsddFolder} is absent`);
  }
  const spoken = { clean: [], 'noise 20 dB': [], 'noise 10 dB': [] };
  sentences.forEach((sentence, index) => {
    const raw = path.join(work, `sentence${index}.raw.wav`), clean = path.join(work, `sentence${index}.wav`);
    execFileSync('espeak-ng', ['-v', 'en-us+f2', '-s', '160', '-w', raw, sentence]);
    execFileSync('sox', [raw, '-r', '16000', '-b', '16', '-c', '1', clean]);
    spoken.clean.push(clean);
    for (const [label, volume] of [['noise 20 dB', '0.1'], ['noise 10 dB', '0.316']]) {
      // White noise scaled against the speech's own RMS level: 20 dB SNR is noise at 0.1 of it.
      const level = Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(execFileSync('bash', ['-c', `sox "${clean}" -n stat 2>&1`], { encoding: 'utf8' }))[1]);
      const noise = path.join(work, `noise${index}-${volume}.wav`), mixed = path.join(work, `sentence${index}-${volume}.wav`);
      const seconds = execFileSync('soxi', ['-D', clean], { encoding: 'utf8' }).trim();
      execFileSync('sox', ['-n', '-r', '16000', '-b', '16', '-c', '1', noise, 'synth', seconds, 'whitenoise', 'vol', String(level * Number(volume) * Math.sqrt(3))]);
      execFileSync('sox', ['-m', clean, noise, mixed]);
      spoken[label].push(mixed);
    }
  });
  const referenceOf = (file) => sentences[Number(/sentence(\d+)/.exec(path.basename(file))[1])];
  for (const [label, files] of Object.entries(spoken)) results.push(summarize(`espeak-ng sentences, ${label}`, transcribe(files), referenceOf));
  // Not speech: what --transcribe auto must not keep.
  const others = [];
  for (const [name, synth] of [
    ['white-noise', ['synth', '8', 'whitenoise', 'vol', '0.2']],
    ['pink-noise', ['synth', '8', 'pinknoise', 'vol', '0.3']],
    ['chords', ['synth', '8', 'pluck', 'C3', 'pluck', 'E3', 'pluck', 'G3', 'repeat', '3']],
    ['tones', ['synth', '8', 'sine', '220-880', 'sine', '330', 'vol', '0.4']],
    ['hum', ['synth', '8', 'sine', '50', 'vol', '0.5']],
  ]) {
    const file = path.join(work, `${name}.wav`);
    execFileSync('sox', ['-n', '-r', '16000', '-b', '16', '-c', '1', file, ...synth]);
    others.push(file);
  }
  for (const row of transcribe(others)) {
    console.log(JSON.stringify({ set: 'not speech', file: path.basename(row.file), heard: row.heard, mean_posterior: row.mean_confidence, auto_kept: row.auto_kept }));
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
