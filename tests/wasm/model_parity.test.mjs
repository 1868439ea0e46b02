// Parity of the wasm build of the local model (mosaic-model.mjs) with the JavaScript reference, the
// same check the native test makes: identical token ids and cosine >= 0.9999 for every reference text.
// Run by ctest in build-wasm: node --test with MOSAIC_MODEL_MODULE, MOSAIC_MODEL_DIR and
// MOSAIC_MODEL_REFERENCE set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run this test through ctest (make test)`);
  return value;
}

async function loadModule() {
  const modulePath = required('MOSAIC_MODEL_MODULE');
  const { default: createMosaicModel } = await import(pathToFileURL(modulePath).href);
  const wasmBinary = fs.readFileSync(modulePath.replace(/\.mjs$/, '.wasm'));
  return createMosaicModel({ wasmBinary });
}

function loadModel(module) {
  const modelDirectory = required('MOSAIC_MODEL_DIR');
  const modelJson = fs.readFileSync(path.join(modelDirectory, 'model.json'), 'utf8');
  const shards = module.weightShardPaths(modelJson);
  assert.ok(shards.ok, shards.error && shards.error.message);
  const weights = Buffer.concat(shards.paths.map((shard) => fs.readFileSync(path.join(modelDirectory, shard))));
  const vocabulary = fs.readFileSync(path.join(modelDirectory, 'vocab.json'), 'utf8');
  const loaded = module.loadModel(modelJson, new Uint8Array(weights), vocabulary);
  assert.ok(loaded.ok, loaded.error && loaded.error.message);
  return loaded.model;
}

function cosine(left, right) {
  let dot = 0, leftNorm = 0, rightNorm = 0;
  for (let i = 0; i < left.length; i++) {
    dot += left[i] * right[i];
    leftNorm += left[i] * left[i];
    rightNorm += right[i] * right[i];
  }
  return dot / Math.sqrt(leftNorm * rightNorm);
}

test('the wasm local model matches the JavaScript reference on every reference text', async () => {
  const module = await loadModule();
  const model = loadModel(module);
  assert.equal(module.modelId, 'use-lite-512@energetic-ai-0.2.0');
  assert.equal(model.dimensions(), 512);
  const lines = fs.readFileSync(required('MOSAIC_MODEL_REFERENCE'), 'utf8').split('\n').filter(Boolean);
  let compared = 0, lowest = 1;
  for (const line of lines) {
    const record = JSON.parse(line);
    const normalized = record.text.normalize('NFKC');
    const outcome = model.embed(normalized);
    if (record.error !== undefined) {
      assert.equal(outcome.ok, false, `the reference refuses ${JSON.stringify(record.text)}, so must Mosaic`);
      assert.match(outcome.error.message, /empty/);
      continue;
    }
    assert.ok(outcome.ok, outcome.error && outcome.error.message);
    assert.deepEqual(model.tokenize(normalized).tokens, record.tokens, `tokens of ${record.text.slice(0, 80)}`);
    const similarity = cosine(outcome.vector, record.embedding);
    lowest = Math.min(lowest, similarity);
    assert.ok(similarity >= 0.9999, `cosine ${similarity} for ${record.text.slice(0, 80)}`);
    compared += 1;
  }
  console.log(`wasm parity: ${compared} texts, lowest cosine ${lowest}`);
  assert.ok(compared >= 20);
  model.delete();
});

test('the wasm module refuses broken model files with an error object, not an exception', async () => {
  const module = await loadModule();
  const broken = module.loadModel('{"weightsManifest": 5}', new Uint8Array(4), '[]');
  assert.equal(broken.ok, false);
  assert.equal(typeof broken.error.code, 'string');
  assert.ok(broken.error.message.length > 0);
});

test('the browser module embeds a query exactly as the native side does', async (context) => {
  const nativeCli = process.env.MOSAIC_NATIVE_CLI;
  if (!nativeCli || !fs.existsSync(nativeCli)) {
    context.skip('MOSAIC_NATIVE_CLI is not set to a built mosaic binary (make test sets it)');
    return;
  }
  const { spawnSync } = await import('node:child_process');
  const module = await loadModule();
  const model = loadModel(module);
  const queries = ['which animal runs fastest', 'café naïve résumé', '北京是中国的首都。', '10:30 meeting 😀',
    Array.from({ length: 200 }, (_, i) => `token${i}`).join(' ')];
  for (const query of queries) {
    const native = spawnSync(nativeCli, ['embed', query, '--json', '--model-dir', required('MOSAIC_MODEL_DIR')], { encoding: 'utf8' });
    assert.equal(native.status, 0, native.stderr);
    const expected = JSON.parse(native.stdout);
    const actual = model.embed(query.normalize('NFKC'));
    assert.ok(actual.ok);
    assert.equal(actual.tokenCount, expected.token_count);
    assert.equal(actual.truncated, expected.truncated);
    let largestDifference = 0;
    for (let i = 0; i < expected.vector.length; i++) {
      largestDifference = Math.max(largestDifference, Math.abs(actual.vector[i] - expected.vector[i]));
    }
    // Not bit-identical: native sums with fused multiply-add, wasm SIMD without; the gap is rounding.
    assert.ok(cosine(actual.vector, expected.vector) >= 0.999999, `cosine for ${query.slice(0, 40)}`);
    assert.ok(largestDifference < 1e-4, `largest component difference ${largestDifference} for ${query.slice(0, 40)}`);
  }
  model.delete();
});
