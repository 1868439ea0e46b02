#!/usr/bin/env node
// Writes the core's Unicode tables for text analysis (shared/text/character_classes.hpp) from the
// Unicode Character Database files of Debian's `unicode-data` package, at build time: nothing
// generated from Unicode's data is committed. The build runs
//   node scripts/generate-unicode-tables.mjs /usr/share/unicode OUTPUT.cpp
// Both targets compile the same output, so they classify and fold every code point alike.
//
// What is written (the rules themselves are documented in shared/text/tokenizer.hpp):
//  - character_kind_ranges: every code point's kind as sorted ranges, each `(first << 8) | kind`.
//    Kinds: other (breaks words, dropped), ignorable (Default_Ignorable_Code_Point and enclosing
//    marks: skipped without breaking a word; U+200B ZERO WIDTH SPACE breaks instead, as Thai and Khmer
//    text uses it between words), mark (Mn, Mc: joins the character before it), digit (Nd; ranges start
//    at each digit zero so that value = code point - first), letter (L*, Nl, No), latin_greek_letter
//    (letters of the Latin and Greek scripts: they lose their diacritics), bigram_letter (letters of
//    scripts written without spaces: Han, Hiragana, Katakana, Hangul, Bopomofo, Thai, Lao, Khmer,
//    Myanmar, Tai Tham, New Tai Lue; Common letters whose Script_Extensions name one of the first five,
//    such as U+30FC KATAKANA-HIRAGANA PROLONGED SOUND MARK).
//  - fold_keys / fold_values / fold_sequences: what a code point becomes in a token when that differs
//    from itself: full case folding (CaseFolding.txt statuses C and F, never the Turkic T), then, for
//    Latin and Greek letters, the base letter of their canonical decomposition when the rest are
//    combining diacritics U+0300..U+036F (é → e, ά → α), then the few Latin letters with no
//    decomposition in the hand-written table below (æ → ae, ø → o, ł → l, ı → i, ...); combining
//    diacritics that follow a Latin or Greek letter inside one mapping are dropped (İ folds to i + U+0307,
//    which becomes i).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , dataDirectory, outputPath] = process.argv;
if (!dataDirectory || !outputPath) {
  console.error('usage: generate-unicode-tables.mjs UNICODE_DATA_DIR OUTPUT.cpp');
  process.exit(2);
}

const read = (name) => {
  try {
    return readFileSync(join(dataDirectory, name), 'utf8');
  } catch (error) {
    console.error(`generate-unicode-tables: cannot read ${join(dataDirectory, name)} (${error.code}): ` +
                  'install Debian\'s unicode-data package (make dependencies)');
    process.exit(1);
  }
};

const MAX = 0x110000;
const hex = (text) => Number.parseInt(text, 16);
// "0041..005A ; Latin # ..." lines as [first, last, value].
const rangeLines = (text) => text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean).map((line) => {
  const [range, value] = line.split(';').map((field) => field.trim());
  const [first, last] = range.split('..').map(hex);
  return [first, last ?? first, value];
});

const versionMatch = /DerivedAge-(\d+\.\d+\.\d+)\.txt/.exec(read('DerivedAge.txt'));
if (!versionMatch) throw new Error('DerivedAge.txt names no Unicode version');
const unicodeVersion = versionMatch[1];

// UnicodeData.txt: general category, canonical decomposition, decimal digit value.
const category = new Array(MAX).fill('Cn');
const decomposition = new Map();
const digitValue = new Map();
{
  let rangeStart = null;
  for (const line of read('UnicodeData.txt').split('\n')) {
    if (!line) continue;
    const fields = line.split(';');
    const codePoint = hex(fields[0]);
    if (fields[1].endsWith(', First>')) { rangeStart = codePoint; continue; }
    const first = fields[1].endsWith(', Last>') ? rangeStart : codePoint;
    for (let value = first; value <= codePoint; ++value) category[value] = fields[2];
    if (fields[5] && !fields[5].startsWith('<')) decomposition.set(codePoint, fields[5].split(' ').map(hex));
    if (fields[6] !== '') digitValue.set(codePoint, Number(fields[6]));
  }
}
const script = new Array(MAX).fill('Unknown');
for (const [first, last, value] of rangeLines(read('Scripts.txt'))) for (let c = first; c <= last; ++c) script[c] = value;
const scriptExtensions = new Map();
for (const [first, last, value] of rangeLines(read('ScriptExtensions.txt'))) {
  for (let c = first; c <= last; ++c) scriptExtensions.set(c, value.split(/\s+/));
}
const ignorable = new Uint8Array(MAX);
for (const [first, last, value] of rangeLines(read('DerivedCoreProperties.txt'))) {
  if (value === 'Default_Ignorable_Code_Point') for (let c = first; c <= last; ++c) ignorable[c] = 1;
}
const caseFolding = new Map();
for (const line of read('CaseFolding.txt').split('\n')) {
  const fields = line.replace(/#.*/, '').split(';').map((field) => field.trim());
  if (fields.length < 3 || (fields[1] !== 'C' && fields[1] !== 'F')) continue;
  caseFolding.set(hex(fields[0]), fields[2].split(' ').map(hex));
}

const KIND = { other: 0, ignorable: 1, mark: 2, digit: 3, letter: 4, latin_greek_letter: 5, bigram_letter: 6 };
const bigramScripts = new Set(['Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Thai', 'Lao', 'Khmer', 'Myanmar',
                               'Tai_Tham', 'New_Tai_Lue']);
const bigramExtensions = new Set(['Hani', 'Hira', 'Kana', 'Hang', 'Bopo']);
const isLetterCategory = (gc) => gc[0] === 'L' || gc === 'Nl' || gc === 'No';
const isLatinGreek = (c) => isLetterCategory(category[c]) && (script[c] === 'Latin' || script[c] === 'Greek');
const isCombiningDiacritic = (c) => c >= 0x0300 && c <= 0x036F;

function kindOf(c) {
  if (c === 0x200B) return KIND.other;
  const gc = category[c];
  if (ignorable[c] || gc === 'Me') return KIND.ignorable;
  if (gc === 'Mn' || gc === 'Mc') return KIND.mark;
  if (gc === 'Nd') return KIND.digit;
  if (!isLetterCategory(gc)) return KIND.other;
  if (bigramScripts.has(script[c])) return KIND.bigram_letter;
  if ((script[c] === 'Common' || script[c] === 'Inherited') &&
      (scriptExtensions.get(c) ?? []).some((name) => bigramExtensions.has(name))) return KIND.bigram_letter;
  if (script[c] === 'Latin' || script[c] === 'Greek') return KIND.latin_greek_letter;
  return KIND.letter;
}

// Latin letters with no canonical decomposition, folded as people type them (our own table).
const extraLatinFolds = new Map([
  [0x00E6, 'ae'], [0x0153, 'oe'], [0x00F8, 'o'], [0x0142, 'l'], [0x0111, 'd'], [0x00F0, 'd'], [0x00FE, 'th'],
  [0x0131, 'i'], [0x0127, 'h'], [0x0167, 't'],
].map(([c, text]) => [c, [...text].map((s) => s.codePointAt(0))]));

function fullDecomposition(c) {
  const parts = decomposition.get(c);
  return parts ? parts.flatMap(fullDecomposition) : [c];
}

function foldOf(c) {
  const output = [];
  for (let folded of caseFolding.get(c) ?? [c]) {
    if (isLatinGreek(folded)) {
      const parts = fullDecomposition(folded);
      if (parts.length > 1 && parts.slice(1).every(isCombiningDiacritic)) folded = parts[0];
      const extra = extraLatinFolds.get(folded);
      if (extra) { output.push(...extra); continue; }
    } else if (isCombiningDiacritic(folded) && output.length > 0 && isLatinGreek(output[output.length - 1])) {
      continue;
    }
    output.push(folded);
  }
  return output;
}

// The ranges of kinds; digit ranges restart at every digit zero.
const ranges = [];
let previous = -1;
for (let c = 0; c < MAX; ++c) {
  const kind = kindOf(c);
  const restart = kind === KIND.digit && digitValue.get(c) === 0;
  if (kind !== previous || restart) ranges.push((c * 256 + kind) >>> 0);
  if (kind === KIND.digit) {
    const first = ranges[ranges.length - 1] >>> 8;
    if (digitValue.get(c) !== c - first) throw new Error(`digit U+${c.toString(16)} is not at its value's place`);
  }
  previous = kind;
}

const foldKeys = [];
const foldValues = [];
const foldSequences = [];
for (let c = 0; c < MAX; ++c) {
  const kind = kindOf(c);
  if (kind === KIND.other || kind === KIND.ignorable || kind === KIND.digit) continue;
  const folded = foldOf(c);
  if (folded.length === 1 && folded[0] === c) continue;
  foldKeys.push(c);
  if (folded.length === 1) {
    foldValues.push(folded[0]);
  } else {
    if (folded.length > 7) throw new Error(`U+${c.toString(16)} folds to ${folded.length} code points`);
    foldValues.push((0x80000000 | (foldSequences.length << 3) | folded.length) >>> 0);
    foldSequences.push(...folded);
  }
}

const lines = (values, perLine) => {
  const out = [];
  for (let index = 0; index < values.length; index += perLine) {
    out.push('  ' + values.slice(index, index + perLine).map((value) => `0x${value.toString(16).toUpperCase()}U`).join(', ') + ',');
  }
  return out.join('\n');
};

writeFileSync(outputPath, `// Generated at build time by scripts/generate-unicode-tables.mjs from the Unicode Character Database
// ${unicodeVersion} (Debian's unicode-data package). Do not edit; see shared/text/character_classes.hpp.
#include <cstddef>
#include <cstdint>

namespace mosaic::text::unicode_tables {

extern const char unicode_version[] = "${unicodeVersion}";

// (first code point << 8) | kind, sorted: ${ranges.length} ranges.
extern const std::uint32_t character_kind_ranges[] = {
${lines(ranges, 8)}
};
extern const std::size_t character_kind_range_count = ${ranges.length};

// Code points whose token form differs from themselves: ${foldKeys.length}, sorted.
extern const std::uint32_t fold_keys[] = {
${lines(foldKeys, 8)}
};
// A single code point, or 0x80000000 | (offset into fold_sequences << 3) | count.
extern const std::uint32_t fold_values[] = {
${lines(foldValues, 8)}
};
extern const std::size_t fold_count = ${foldKeys.length};
extern const char32_t fold_sequences[] = {
${lines(foldSequences, 8)}
};

}  // namespace mosaic::text::unicode_tables
`);
console.log(`generate-unicode-tables: Unicode ${unicodeVersion}, ${ranges.length} kind ranges, ${foldKeys.length} folds, ` +
            `${foldSequences.length} sequence code points -> ${outputPath}`);
