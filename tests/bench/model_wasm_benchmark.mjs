// The wasm build of the local model (mosaic-model.mjs) under Node, one thread: texts per second over
// the same passages as the native and reference benchmarks (normalization, tokenization, forward pass).
// Usage: node model_wasm_benchmark.mjs MODULE.mjs MODEL_DIR DATA_DIR
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulePath, modelDirectory, dataDirectory] = process.argv.slice(2);
const { default: createMosaicModel } = await import(pathToFileURL(path.resolve(modulePath)).href);
const module = await createMosaicModel({ wasmBinary: fs.readFileSync(modulePath.replace(/\.mjs$/, '.wasm')) });
const modelJson = fs.readFileSync(path.join(modelDirectory, 'model.json'), 'utf8');
const weights = Buffer.concat(module.weightShardPaths(modelJson).paths.map((p) => fs.readFileSync(path.join(modelDirectory, p))));
const loaded = module.loadModel(modelJson, new Uint8Array(weights), fs.readFileSync(path.join(modelDirectory, 'vocab.json'), 'utf8'));
if (!loaded.ok) throw new Error(loaded.error.message);
const passages = fs.readFileSync(path.join(dataDirectory, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const start = performance.now();
for (const passage of passages) {
  const outcome = loaded.model.embed(passage.text.normalize('NFKC'));
  if (!outcome.ok) throw new Error(outcome.error.message);
}
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ wasm_texts_per_second: passages.length / seconds, passages: passages.length }));
