// How the near-duplicate similarity of the local model is chosen (shared/search/near_duplicates.hpp
// holds the figure): the cosine similarity of texts that are copies of each other (identical; one word
// changed, dropped or added; re-punctuated) against that of distinct texts on the same topic
// (the sample collection's texts and hand-written neighbours of them). The figure must sit above every
// distinct pair and below the copies. Each vector is `mosaic embed TEXT --json` (the native model).
// Usage: node tests/bench/near_duplicate_calibration.mjs MOSAIC_BINARY
import { spawnSync } from 'node:child_process';
import { sampleFiles } from '../support/sample_collection.mjs';

const [mosaicBinary] = process.argv.slice(2);
if (!mosaicBinary) throw new Error('usage: near_duplicate_calibration.mjs MOSAIC_BINARY');

const embed = (text) => {
  const outcome = spawnSync(mosaicBinary, ['embed', text, '--json'], { encoding: 'utf8' });
  if (outcome.status !== 0) throw new Error(outcome.stderr);
  return JSON.parse(outcome.stdout).vector;
};
const cosine = (a, b) => {
  let dot = 0, normA = 0, normB = 0;
  for (let index = 0; index < a.length; ++index) { dot += a[index] * b[index]; normA += a[index] ** 2; normB += b[index] ** 2; }
  return dot / Math.sqrt(normA * normB);
};

const texts = Object.values(sampleFiles);
// Copies: each text against itself changed a little.
const variants = (text) => ({
  identical: text,
  'one word changed': text.replace(/\b(the|a|and|by|with|in)\b/i, (word) => ({ the: 'that', a: 'one', and: 'plus', by: 'of', with: 'and', in: 'on' })[word.toLowerCase()]),
  'one word dropped': text.replace(/\b(very|other|then|giant|slowly|enormous|eight)\s/i, ''),
  're-punctuated': text.replace(/,/g, ';').replace(/\.$/, '!'),
  'a word added': text.replace(/\.$/, ' today.'),
});
// Distinct texts on the same topic: the collection's own pairs within a folder, and written neighbours.
const neighbours = {
  'animals/cheetah.txt': 'Lions hunt zebras and antelopes on the African grasslands at dusk.',
  'animals/tortoise.txt': 'Sea turtles swim thousands of kilometres and return to the beach where they hatched.',
  'animals/falcon.txt': 'An eagle circles high above the valley looking for rabbits.',
  'food/soup.md': 'Roast the peppers and onions, then purée them with stock for a smooth soup.',
  'food/bread.txt': 'Mix flour, water, salt and yeast, shape the dough into rolls and bake them.',
  'finance/report.txt': 'Annual profit rose by twelve percent as sales in Europe increased.',
};

const copies = {};
const distinct = [];
for (const [name, text] of Object.entries(sampleFiles)) {
  const base = embed(text);
  for (const [kind, variant] of Object.entries(variants(text))) {
    if (kind !== 'identical' && variant === text) continue;
    (copies[kind] ??= []).push(cosine(base, embed(variant)));
  }
  distinct.push({ pair: `${name} / its neighbour`, similarity: cosine(base, embed(neighbours[name])) });
}
const names = Object.keys(sampleFiles);
for (let first = 0; first < names.length; ++first) {
  for (let second = first + 1; second < names.length; ++second) {
    if (names[first].split('/')[0] !== names[second].split('/')[0]) continue;
    distinct.push({ pair: `${names[first]} / ${names[second]}`, similarity: cosine(embed(texts[first]), embed(texts[second])) });
  }
}
const round = (value) => Number(value.toFixed(3));
for (const [kind, values] of Object.entries(copies)) {
  console.log(`${kind}: min ${round(Math.min(...values))}, max ${round(Math.max(...values))} (${values.length} texts)`);
}
distinct.sort((a, b) => b.similarity - a.similarity);
console.log(`distinct texts on one topic: max ${round(distinct[0].similarity)} (${distinct[0].pair}), ` +
  `median ${round(distinct[Math.floor(distinct.length / 2)].similarity)} (${distinct.length} pairs)`);
