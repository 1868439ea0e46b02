// Tests of the Gemini embedding API test double (tests/gemini_double). ctest runs them with
//   MOSAIC_GEMINI_DOUBLE=build/bin/mosaic_gemini_double node --test tests/gemini_double/gemini_double.test.mjs
// and, when the local model is installed, MOSAIC_MODEL_DIR (text through the model) and
// MOSAIC_MODEL_REFERENCE (the model's JavaScript reference embeddings). Without MOSAIC_MODEL_DIR the
// double runs with --hash-text and the tests that need the model's sense of meaning are skipped.
//
// Every double is started with --port 0, its port read from the one line it prints, and stopped by
// its process id with SIGTERM at the end (also when a test fails); a clean exit (code 0) is asserted,
// which under AddressSanitizer also means no leak and no undefined behaviour was reported.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { makePng, makeWav, pngChunk, pngSignature, riffChunk, u32be, u32le } from '../support/media_fixtures.mjs';

const binary = process.env.MOSAIC_GEMINI_DOUBLE ?? process.argv[2];
const modelDirectory = process.env.MOSAIC_MODEL_DIR || undefined;
const modelReference = process.env.MOSAIC_MODEL_REFERENCE || undefined;
const apiKey = 'test-key-0123456789';
const model = 'gemini-embedding-2';
const withoutModel = modelDirectory ? false : 'needs the local model (MOSAIC_MODEL_DIR)';
// npm packages for tests (scripts/install-test-packages.sh): Google's SDK checks the batch-job shapes.
const testPackages = process.env.MOSAIC_TEST_NODE_PREFIX || undefined;

if (!binary) throw new Error('set MOSAIC_GEMINI_DOUBLE to the mosaic_gemini_double binary');

// ---------------------------------------------------------------------------------------------
// Starting and stopping doubles

const runningChildren = new Set();
// Last resort when the runner exits abruptly: never leave a double behind.
process.on('exit', () => {
  for (const child of runningChildren) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function startDouble(extraArguments = []) {
  const textArguments = modelDirectory ? ['--model-dir', modelDirectory] : ['--hash-text'];
  const child = spawn(binary, ['--port', '0', '--api-key', apiKey, ...textArguments, ...extraArguments], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  runningChildren.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    stderr += text;
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      runningChildren.delete(child);
      resolve({ code, signal });
    });
  });
  const lines = createInterface({ input: child.stdout });
  const firstLine = new Promise((resolve) => lines.once('line', resolve));
  let startupTimer;
  let line;
  try {
    line = await Promise.race([
      firstLine,
      new Promise((_, reject) => child.once('error', reject)),
      exited.then(({ code, signal }) => {
        throw new Error(`the double exited (${code ?? signal}) before listening:\n${stderr}`);
      }),
      new Promise((_, reject) => {
        startupTimer = setTimeout(() => reject(new Error(`the double did not print its port:\n${stderr}`)), 120_000);
      }),
    ]);
  } catch (failure) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    throw failure;
  } finally {
    clearTimeout(startupTimer);
  }
  const match = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
  assert.ok(match, `unexpected first line: ${JSON.stringify(line)}`);
  return {
    base: `http://127.0.0.1:${match[1]}`,
    port: Number(match[1]),
    pid: child.pid,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
      return exited;
    },
  };
}

// A double for one describe block: started before its tests, stopped (and its clean exit checked) after.
function useDouble(extraArguments = []) {
  const handle = {};
  before(async () => {
    handle.double = await startDouble(extraArguments);
  });
  after(async () => {
    if (!handle.double) return;
    const { code, signal } = await handle.double.stop();
    assert.equal(signal, null, `the double was killed by ${signal}:\n${handle.double.stderr()}`);
    assert.equal(code, 0, `the double exited with ${code}:\n${handle.double.stderr()}`);
  });
  return handle;
}

// ---------------------------------------------------------------------------------------------
// Calling the API

async function call(double, method, { body, raw, key = apiKey, keyIn = 'header', modelName = model } = {}) {
  const url = new URL(`${double.base}/v1beta/models/${modelName}:${method}`);
  const headers = { 'content-type': 'application/json' };
  // key: null sends no key at all.
  if (key !== null && keyIn === 'header') headers['x-goog-api-key'] = key;
  if (key !== null && keyIn === 'query') url.searchParams.set('key', key);
  const response = await fetch(url, { method: 'POST', headers, body: raw ?? JSON.stringify(body) });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

const embedContent = (double, body, options = {}) => call(double, 'embedContent', { body, ...options });
const batchEmbedContents = (double, body, options = {}) => call(double, 'batchEmbedContents', { body, ...options });

async function embedVector(double, parts, outputDimensionality) {
  const body = { model: `models/${model}`, content: { parts } };
  if (outputDimensionality !== undefined) body.outputDimensionality = outputDimensionality;
  const answer = await embedContent(double, body);
  assert.equal(answer.status, 200, answer.text);
  return answer.json.embedding.values;
}
const embedText = (double, text, dimensions = 512) => embedVector(double, [{ text }], dimensions);

async function getJson(double, path, init) {
  const response = await fetch(`${double.base}${path}`, init);
  assert.equal(response.status, 200);
  return response.json();
}
const stats = (double) => getJson(double, '/_double/stats');
const reset = (double) => getJson(double, '/_double/reset', { method: 'POST' });

function assertGoogleError(answer, code, status, messagePattern) {
  assert.equal(answer.status, code, answer.text);
  assert.equal(answer.json?.error?.code, code, answer.text);
  assert.equal(answer.json.error.status, status, answer.text);
  assert.equal(typeof answer.json.error.message, 'string');
  if (messagePattern) assert.match(answer.json.error.message, messagePattern);
}

// ---------------------------------------------------------------------------------------------
// Vectors

const dot = (a, b) => a.reduce((sum, value, index) => sum + value * b[index], 0);
const norm = (a) => Math.sqrt(dot(a, a));
const cosine = (a, b) => dot(a, b) / (norm(a) * norm(b));
function normalized(a) {
  const length = norm(a);
  return a.map((value) => value / length);
}
function assertUnit(values, dimensions) {
  assert.equal(values.length, dimensions);
  assert.ok(values.every(Number.isFinite));
  assert.ok(Math.abs(norm(values) - 1) < 1e-5, `norm ${norm(values)}`);
}
function assertClose(actual, expected, tolerance = 1e-5) {
  assert.equal(actual.length, expected.length);
  const worst = Math.max(...actual.map((value, index) => Math.abs(value - expected[index])));
  assert.ok(worst < tolerance, `largest difference ${worst}`);
}

// ---------------------------------------------------------------------------------------------
// Media built byte by byte (tests/support/media_fixtures.mjs)

const inlineData = (mimeType, bytes) => ({ inlineData: { mimeType, data: Buffer.from(bytes).toString('base64') } });
const textContent = (text) => ({ parts: [{ text }] });
const batchItem = (text, extra = {}) => ({ model: `models/${model}`, content: textContent(text), ...extra });

// ---------------------------------------------------------------------------------------------

describe('the double answers Google\'s embedding API', () => {
  const fixture = useDouble();

  it('embedContent with a camelCase body returns one unit vector of 3072 dimensions by default', async () => {
    const answer = await embedContent(fixture.double, {
      model: `models/${model}`,
      content: { role: 'user', parts: [{ text: 'a red bicycle' }] },
      taskType: 'RETRIEVAL_QUERY',
    });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(Object.keys(answer.json), ['embedding']);
    assert.deepEqual(Object.keys(answer.json.embedding), ['values']);
    assertUnit(answer.json.embedding.values, 3072);
  });

  it('accepts snake_case field names (output_dimensionality, task_type, inline_data, mime_type)', async () => {
    const answer = await embedContent(fixture.double, {
      model: `models/${model}`,
      content: { parts: [{ text: 'a red bicycle' }, { inline_data: { mime_type: 'image/png', data: makePng().toString('base64') } }] },
      task_type: 'RETRIEVAL_DOCUMENT',
      title: 'a title',
      output_dimensionality: 768,
    });
    assert.equal(answer.status, 200, answer.text);
    assertUnit(answer.json.embedding.values, 768);
    const camel = await embedVector(fixture.double, [{ text: 'a red bicycle' }, inlineData('image/png', makePng())], 768);
    assert.deepEqual(answer.json.embedding.values, camel, 'both spellings give the same vector');
  });

  it('returns the requested dimensions (128, 768, 3072, default) as unit vectors, each a Matryoshka prefix of 3072', async () => {
    const full = await embedText(fixture.double, 'matryoshka', 3072);
    assertUnit(full, 3072);
    assert.deepEqual(await embedVector(fixture.double, [{ text: 'matryoshka' }]), full, 'the default is 3072');
    for (const dimensions of [128, 512, 768, 1536]) {
      const shorter = await embedText(fixture.double, 'matryoshka', dimensions);
      assertUnit(shorter, dimensions);
      assertClose(shorter, normalized(full.slice(0, dimensions)));
    }
    // The dimensionality may come as a decimal string, as proto3 JSON allows for int32.
    const fromString = await embedContent(fixture.double, { content: textContent('matryoshka'), outputDimensionality: '128' });
    assert.equal(fromString.status, 200, fromString.text);
    assert.equal(fromString.json.embedding.values.length, 128);
  });

  it('is deterministic: the same input gives the same vector, different inputs different vectors', async () => {
    const first = await embedText(fixture.double, 'the same words', 3072);
    const second = await embedText(fixture.double, 'the same words', 3072);
    assert.deepEqual(first, second);
    const other = await embedText(fixture.double, 'other words entirely', 3072);
    assert.ok(cosine(first, other) < 0.99);
    const image = await embedVector(fixture.double, [inlineData('image/png', makePng({ gray: 7 }))], 256);
    assert.deepEqual(await embedVector(fixture.double, [inlineData('image/png', makePng({ gray: 7 }))], 256), image);
  });

  it('takes the API key from x-goog-api-key or from ?key=', async () => {
    const body = { content: textContent('key check') };
    assert.equal((await embedContent(fixture.double, body, { keyIn: 'header' })).status, 200);
    assert.equal((await embedContent(fixture.double, body, { keyIn: 'query' })).status, 200);
  });

  it('refuses a wrong or missing key with 400 API_KEY_INVALID in Google\'s error shape', async () => {
    const expected = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
      },
    };
    const body = { content: textContent('key check') };
    for (const options of [{ key: 'wrong-key' }, { key: 'wrong-key', keyIn: 'query' }, { key: null }, { key: '' }, { key: '', keyIn: 'query' }]) {
      const answer = await embedContent(fixture.double, body, options);
      assert.equal(answer.status, 400, JSON.stringify(options));
      assert.deepEqual(answer.json, expected);
      assert.ok(!answer.text.includes('wrong-key'), 'the key is never echoed');
    }
    const batchAnswer = await batchEmbedContents(fixture.double, { requests: [batchItem('x')] }, { key: 'wrong-key' });
    assert.deepEqual(batchAnswer.json, expected);
  });

  it('answers an unknown model with 404 NOT_FOUND', async () => {
    const answer = await embedContent(fixture.double, { content: textContent('x') }, { modelName: 'no-such-model' });
    assertGoogleError(answer, 404, 'NOT_FOUND', /models\/no-such-model is not found/);
    const batchAnswer = await batchEmbedContents(fixture.double, { requests: [batchItem('x')] }, { modelName: 'no-such-model' });
    assertGoogleError(batchAnswer, 404, 'NOT_FOUND');
  });

  it('batchEmbedContents returns one vector per request, in request order', async () => {
    const texts = ['first: a cat', 'second: a violin', 'third: the sea at night', 'fourth: a tax form'];
    const answer = await batchEmbedContents(fixture.double, {
      requests: texts.map((text, index) => batchItem(text, { outputDimensionality: index % 2 === 0 ? 768 : 128 })),
    });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(Object.keys(answer.json), ['embeddings']);
    assert.equal(answer.json.embeddings.length, texts.length);
    for (const [index, text] of texts.entries()) {
      const single = await embedText(fixture.double, text, index % 2 === 0 ? 768 : 128);
      assert.deepEqual(answer.json.embeddings[index].values, single, `item ${index}`);
    }
  });

  it('takes 100 requests in one batch and refuses 101 with Google\'s message', async () => {
    const hundred = await batchEmbedContents(fixture.double, {
      requests: Array.from({ length: 100 }, (_, index) => batchItem(`item ${index % 5}`, { outputDimensionality: 128 })),
    });
    assert.equal(hundred.status, 200, hundred.text);
    assert.equal(hundred.json.embeddings.length, 100);
    const tooMany = await batchEmbedContents(fixture.double, {
      requests: Array.from({ length: 101 }, () => batchItem('x')),
    });
    assertGoogleError(tooMany, 400, 'INVALID_ARGUMENT');
    assert.equal(tooMany.json.error.message, 'BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch');
  });

  it('requires every batch item\'s model to be the URL\'s model', async () => {
    const other = await batchEmbedContents(fixture.double, { requests: [batchItem('x'), { ...batchItem('y'), model: 'models/gemini-embedding-001' }] });
    assertGoogleError(other, 400, 'INVALID_ARGUMENT', /requests\[1\]\.model/);
    const missing = await batchEmbedContents(fixture.double, { requests: [{ content: textContent('x') }] });
    assertGoogleError(missing, 400, 'INVALID_ARGUMENT', /requests\[0\]\.model/);
  });

  it('refuses malformed bodies with 400 INVALID_ARGUMENT and a message naming the problem', async () => {
    const cases = [
      [{ raw: '{"content": ' }, /Invalid JSON payload/],
      [{ raw: '[1, 2]' }, /Invalid JSON payload/],
      [{ raw: '['.repeat(100_000) }, /Nesting/],
      [{ body: {} }, /content is not specified/],
      [{ body: { content: { parts: [] } } }, /at least one part/],
      [{ body: { content: { parts: [{}] } } }, /must hold text, inline_data or file_data/],
      [{ body: { content: { parts: [{ text: '' }] } } }, /text must not be empty/],
      [{ body: { content: { parts: [{ text: 5 }] } } }, /content\.parts\[0\]\.text/],
      [{ body: { content: textContent('x'), unknownField: 1 } }, /Unknown name "unknownField"/],
      [{ body: { content: { parts: [{ text: 'x', inlineData: { mimeType: 'image/png', data: 'AA==' } }] } } }, /Oneof field/],
      [{ body: { content: textContent('x'), outputDimensionality: 768, output_dimensionality: 768 } }, /set twice/],
      [{ body: { content: textContent('x'), outputDimensionality: 64 } }, /between 128 and 3072/],
      [{ body: { content: textContent('x'), outputDimensionality: 3073 } }, /between 128 and 3072/],
      [{ body: { content: textContent('x'), outputDimensionality: 'many' } }, /TYPE_INT32/],
      [{ body: { content: textContent('x'), taskType: 'NOT_A_TASK' } }, /TaskType/],
      [{ body: { content: textContent('x'), model: 'models/other' } }, /does not match/],
      [{ body: { content: { parts: [{ functionCall: { name: 'f' } }] } } }, /cannot be embedded/],
      [{ body: { content: { parts: [inlineData('image/png', Buffer.from('not a png at all'))] } } }, /Unable to process input image/],
      [{ body: { content: { parts: [inlineData('audio/wav', Buffer.from('not a wav file'))] } } }, /RIFF\/WAVE/],
      [{ body: { content: { parts: [{ inlineData: { mimeType: 'image/png' } }] } } }, /inline data is empty/],
    ];
    for (const [options, pattern] of cases) {
      const answer = await embedContent(fixture.double, options.body, options);
      assertGoogleError(answer, 400, 'INVALID_ARGUMENT', pattern);
    }
    const notAnObject = await batchEmbedContents(fixture.double, { requests: 'no' });
    assertGoogleError(notAnObject, 400, 'INVALID_ARGUMENT');
    const empty = await batchEmbedContents(fixture.double, { requests: [] });
    assertGoogleError(empty, 400, 'INVALID_ARGUMENT');
  });

  it('refuses MIME types Gemini does not embed, and accepts the ones it does', async () => {
    for (const mimeType of ['image/gif', 'application/zip', 'text/html']) {
      const answer = await embedContent(fixture.double, { content: { parts: [inlineData(mimeType, Buffer.from('GIF89a'))] } });
      assertGoogleError(answer, 400, 'INVALID_ARGUMENT', /Unsupported MIME type/);
    }
    const accepted = {
      'image/png': makePng(),
      'image/jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
      'audio/mpeg': Buffer.from('ID3 mp3 bytes'),
      'audio/mp3': Buffer.from('ID3 mp3 bytes'),
      'audio/wav': makeWav(),
      'audio/x-wav': makeWav(),
      'video/mp4': Buffer.from('....ftypisom'),
      'video/quicktime': Buffer.from('....ftypqt  '),
      'application/pdf': Buffer.from('%PDF-1.4 tiny'),
      'text/plain': Buffer.from('plain text bytes'),
    };
    for (const [mimeType, bytes] of Object.entries(accepted)) {
      const answer = await embedContent(fixture.double, { content: { parts: [inlineData(mimeType, bytes)] }, outputDimensionality: 128 });
      assert.equal(answer.status, 200, `${mimeType}: ${answer.text}`);
      assertUnit(answer.json.embedding.values, 128);
    }
    const fileData = await embedContent(fixture.double, {
      content: { parts: [{ fileData: { mimeType: 'video/mp4', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } }] },
      outputDimensionality: 128,
    });
    assert.equal(fileData.status, 200, fileData.text);
  });

  it('takes at most 6 images in one Content', async () => {
    const images = (count) => Array.from({ length: count }, (_, index) => inlineData('image/png', makePng({ gray: index })));
    const six = await embedContent(fixture.double, { content: { parts: images(6) }, outputDimensionality: 128 });
    assert.equal(six.status, 200, six.text);
    const seven = await embedContent(fixture.double, { content: { parts: images(7) } });
    assertGoogleError(seven, 400, 'INVALID_ARGUMENT', /7 images; at most 6/);
    const sevenInBatch = await batchEmbedContents(fixture.double, { requests: [batchItem('x'), { model: `models/${model}`, content: { parts: images(7) } }] });
    assertGoogleError(sevenInBatch, 400, 'INVALID_ARGUMENT', /requests\[1\]\.content/);
  });

  it('refuses invalid base64 with 400, and takes URL-safe or unpadded base64', async () => {
    for (const data of ['not base64!', 'AAA=A', 'A', 'AA AA', 'AA==AA==']) {
      const answer = await embedContent(fixture.double, { content: { parts: [{ inlineData: { mimeType: 'text/plain', data } }] } });
      assertGoogleError(answer, 400, 'INVALID_ARGUMENT', /Base64 decoding failed/);
    }
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x68, 0x69]); // standard base64 "+//+aGk=", URL-safe "-__-aGk"
    const standard = await embedVector(fixture.double, [{ inlineData: { mimeType: 'audio/mpeg', data: bytes.toString('base64') } }], 128);
    const urlSafe = await embedVector(fixture.double, [{ inlineData: { mimeType: 'audio/mpeg', data: bytes.toString('base64url') } }], 128);
    assert.deepEqual(urlSafe, standard);
  });

  it('only takes text for gemini-embedding-001', async () => {
    const text = await embedContent(fixture.double, { content: textContent('x') }, { modelName: 'gemini-embedding-001' });
    assert.equal(text.status, 200, text.text);
    const image = await embedContent(fixture.double, { content: { parts: [inlineData('image/png', makePng())] } }, { modelName: 'gemini-embedding-001' });
    assertGoogleError(image, 400, 'INVALID_ARGUMENT', /Only text/);
  });

  it('embeds a PNG carrying a tEXt Description exactly like its caption text', async () => {
    const image = await embedVector(fixture.double, [inlineData('image/png', makePng({ description: 'a red bicycle' }))], 3072);
    const bicycle = await embedText(fixture.double, 'a red bicycle', 3072);
    const soup = await embedText(fixture.double, 'a bowl of soup', 3072);
    assert.ok(cosine(image, bicycle) > 0.99, `cosine with its caption ${cosine(image, bicycle)}`);
    assert.ok(cosine(image, soup) < cosine(image, bicycle) - 0.1, `cosine with soup ${cosine(image, soup)}`);
    // Only the "Description" keyword counts: another keyword leaves a plain image, embedded by hash.
    const titled = await embedVector(fixture.double, [inlineData('image/png', makePng({ description: 'a red bicycle', keyword: 'Title' }))], 3072);
    assert.ok(cosine(titled, bicycle) < 0.5);
  });

  it('embeds a WAV carrying a LIST/INFO ICMT comment exactly like its comment text', async () => {
    const audio = await embedVector(fixture.double, [inlineData('audio/wav', makeWav({ comment: 'a red bicycle' }))], 768);
    const bicycle = await embedText(fixture.double, 'a red bicycle', 768);
    const soup = await embedText(fixture.double, 'a bowl of soup', 768);
    assert.ok(cosine(audio, bicycle) > 0.99, `cosine with its comment ${cosine(audio, bicycle)}`);
    assert.ok(cosine(audio, soup) < cosine(audio, bicycle) - 0.1);
    const plain = await embedVector(fixture.double, [inlineData('audio/x-wav', makeWav({ seed: 3 }))], 768);
    assert.ok(cosine(plain, bicycle) < 0.5);
  });

  it('a text query finds the right image among several (nearest neighbour by cosine)', async () => {
    const captions = ['a red bicycle', 'a bowl of soup', 'a snowy mountain', 'a violin on a table'];
    const images = await Promise.all(
      captions.map((description) => embedVector(fixture.double, [inlineData('image/png', makePng({ description }))], 768)),
    );
    for (const [index, caption] of captions.entries()) {
      const query = await embedText(fixture.double, caption, 768);
      const scores = images.map((image) => cosine(query, image));
      assert.equal(scores.indexOf(Math.max(...scores)), index, `query "${caption}": ${scores}`);
    }
  });

  it('fuses the parts of one Content into the normalized mean of their vectors', async () => {
    const png = makePng({ description: 'a bowl of soup' });
    const fused = await embedVector(fixture.double, [{ text: 'a red bicycle' }, inlineData('image/png', png)], 512);
    const text = await embedText(fixture.double, 'a red bicycle', 512);
    const image = await embedVector(fixture.double, [inlineData('image/png', png)], 512);
    assertUnit(fused, 512);
    assertClose(fused, normalized(text.map((value, index) => value + image[index])));
    assert.ok(cosine(fused, text) > cosine(text, image));
    assert.ok(cosine(fused, image) > cosine(text, image));
    // Interleaved text, image and audio in one Content give one vector.
    const three = await embedVector(fixture.double, [{ text: 'a picnic' }, inlineData('image/png', png), inlineData('audio/wav', makeWav({ comment: 'birdsong' }))], 3072);
    assertUnit(three, 3072);
  });

  it('embeds text with the local model: related texts are closer than unrelated ones', { skip: withoutModel }, async () => {
    const bicycle = await embedText(fixture.double, 'a red bicycle');
    const bike = await embedText(fixture.double, 'a red bike');
    const soup = await embedText(fixture.double, 'a bowl of hot soup');
    assert.ok(cosine(bicycle, bike) > cosine(bicycle, soup) + 0.1, `${cosine(bicycle, bike)} vs ${cosine(bicycle, soup)}`);
  });

  it('gives the local model\'s own vector in the first 512 dimensions (JavaScript reference)', { skip: modelReference ? withoutModel : 'needs MOSAIC_MODEL_REFERENCE' }, async () => {
    const references = readFileSync(modelReference, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line))
      .filter((reference) => reference.text.trim() !== '')
      .slice(0, 5);
    assert.ok(references.length > 0);
    for (const reference of references) {
      const values = await embedText(fixture.double, reference.text, 512);
      assert.ok(cosine(values, reference.embedding) > 0.999, `"${reference.text}": ${cosine(values, reference.embedding)}`);
    }
  });

  it('keeps connections alive between requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = () =>
      new Promise((resolve, reject) => {
        const request = http.request(
          `${fixture.double.base}/v1beta/models/${model}:embedContent`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-goog-api-key': apiKey } },
          (response) => {
            response.resume();
            response.on('end', () => resolve({ status: response.statusCode, reused: request.reusedSocket }));
          },
        );
        request.on('error', reject);
        request.end(JSON.stringify({ content: textContent('keep alive'), outputDimensionality: 128 }));
      });
    const first = await post();
    const second = await post();
    agent.destroy();
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.reused, true, 'the second request went over the first connection');
  });

  it('answers Expect: 100-continue before the body is sent', async () => {
    const answer = await new Promise((resolve, reject) => {
      const body = JSON.stringify({ content: textContent('continue'), outputDimensionality: 128 });
      const request = http.request(`${fixture.double.base}/v1beta/models/${model}:embedContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-goog-api-key': apiKey, expect: '100-continue' },
      });
      let continued = false;
      request.on('continue', () => {
        continued = true;
        request.end(body);
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode, continued }));
      });
      request.on('error', reject);
    });
    assert.deepEqual(answer, { status: 200, continued: true });
  });

  it('answers unknown paths and wrong methods with Google-shaped errors', async () => {
    const unknown = await fetch(`${fixture.double.base}/v1beta/models/${model}:generateContent?key=${apiKey}`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.status, 'NOT_FOUND');
    const get = await fetch(`${fixture.double.base}/v1beta/models/${model}:embedContent?key=${apiKey}`);
    assert.equal(get.status, 404);
    assert.equal((await get.json()).error.status, 'NOT_FOUND');
  });

  it('counts calls, batch sizes and embedded inputs, and resets them', async () => {
    await reset(fixture.double);
    assert.deepEqual(await stats(fixture.double), {
      calls: 0, embed_content_calls: 0, batch_calls: 0, embedded_inputs: 0, rejected_calls: 0, injected_faults: 0, last_batch_sizes: [],
      recent_call_times_ms: [], largest_body_bytes: 0, held_calls: 0,
    });
    await embedText(fixture.double, 'one');
    await embedText(fixture.double, 'two');
    await batchEmbedContents(fixture.double, { requests: [batchItem('a'), batchItem('b'), batchItem('c')] });
    await batchEmbedContents(fixture.double, { requests: [batchItem('d')] });
    await embedContent(fixture.double, { content: textContent('x') }, { key: 'wrong' });
    await fetch(`${fixture.double.base}/_double/stats`);
    const counted = await stats(fixture.double);
    const times = counted.recent_call_times_ms;
    delete counted.recent_call_times_ms;
    const largestBody = JSON.stringify({ requests: [batchItem('a'), batchItem('b'), batchItem('c')] }).length;
    assert.deepEqual(counted, {
      calls: 5, embed_content_calls: 2, batch_calls: 2, embedded_inputs: 6, rejected_calls: 1, injected_faults: 0, last_batch_sizes: [3, 1],
      largest_body_bytes: largestBody, held_calls: 0,
    });
    assert.equal(times.length, 5, 'one arrival time per call');
    for (let index = 1; index < times.length; index++) assert.ok(times[index] >= times[index - 1], 'arrival times ascend');
    // Only the last 50 batch sizes are kept.
    for (let index = 0; index < 55; index++) await batchEmbedContents(fixture.double, { requests: [batchItem('e', { outputDimensionality: 128 })] });
    assert.equal((await stats(fixture.double)).last_batch_sizes.length, 50);
    const afterReset = await reset(fixture.double);
    assert.equal(afterReset.calls, 0);
    assert.deepEqual((await stats(fixture.double)).last_batch_sizes, []);
  });

  it('survives hostile media and bodies, and still answers afterwards', async () => {
    const textChunk = Buffer.concat([Buffer.from('Description\0a red bicycle', 'latin1')]);
    const hostile = [
      // A chunk length far beyond the data, one at the PNG maximum, and one above it.
      Buffer.concat([pngSignature, pngChunk('tEXt', textChunk, { length: 0x7ffffff0 })]),
      Buffer.concat([pngSignature, pngChunk('tEXt', textChunk, { length: 0xffffffff })]),
      Buffer.concat([pngSignature, u32be(5), Buffer.from('tE')]), // cut inside a chunk header
      pngSignature, // nothing after the signature
      Buffer.concat([pngSignature, pngChunk('tEXt', Buffer.from('Description'))]), // no NUL separator
      Buffer.concat([pngSignature, pngChunk('iTXt', Buffer.from('Description\0\0\0en'))]), // cut iTXt
    ];
    for (const png of hostile) {
      const answer = await embedContent(fixture.double, { content: { parts: [inlineData('image/png', png)] }, outputDimensionality: 128 });
      assert.equal(answer.status, 200, answer.text);
      assertUnit(answer.json.embedding.values, 128);
    }
    const fmt = riffChunk('fmt ', Buffer.alloc(16));
    const hostileWavs = [
      Buffer.concat([Buffer.from('RIFF'), u32le(0xffffffff), Buffer.from('WAVE'), fmt, riffChunk('LIST', Buffer.from('INFOICMT'), { size: 0xfffffff0 })]),
      Buffer.concat([Buffer.from('RIFF'), u32le(100), Buffer.from('WAVE'), riffChunk('LIST', Buffer.concat([Buffer.from('INFO'), Buffer.from('ICMT'), u32le(0xffffffff), Buffer.from('x')]))]),
      Buffer.concat([Buffer.from('RIFF'), u32le(4), Buffer.from('WAVE')]),
      Buffer.concat([Buffer.from('RIFF'), u32le(0), Buffer.from('WAVE'), riffChunk('LIST', Buffer.from('INF'))]),
      Buffer.concat([Buffer.from('RIFF'), u32le(40), Buffer.from('WAVE'), riffChunk('LIST', Buffer.concat([Buffer.from('INFO'), riffChunk('ICMT', Buffer.from([0, 0, 0]))]))]),
    ];
    for (const wav of hostileWavs) {
      const answer = await embedContent(fixture.double, { content: { parts: [inlineData('audio/wav', wav)] }, outputDimensionality: 128 });
      assert.equal(answer.status, 200, answer.text);
    }
    // Invalid UTF-8 as text/plain, a caption in Latin-1, random bytes under every media type.
    const latin = await embedContent(fixture.double, { content: { parts: [inlineData('text/plain', Buffer.from([0x61, 0xff, 0xfe]))] } });
    assertGoogleError(latin, 400, 'INVALID_ARGUMENT', /UTF-8/);
    const accented = await embedContent(fixture.double, { content: { parts: [inlineData('image/png', makePng({ description: 'caf\u00e9 cr\u00e8me' }))] }, outputDimensionality: 128 });
    assert.equal(accented.status, 200, accented.text);
    let seed = 12345;
    const random = (length) =>
      Buffer.from(Array.from({ length }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed & 0xff;
      }));
    for (const mimeType of ['image/png', 'image/jpeg', 'audio/wav', 'audio/mpeg', 'video/mp4', 'application/pdf']) {
      for (const length of [1, 7, 64, 4096]) {
        const bytes = random(length);
        if (mimeType === 'image/png') pngSignature.copy(bytes, 0, 0, Math.min(8, length));
        const answer = await embedContent(fixture.double, { content: { parts: [inlineData(mimeType, bytes)] }, outputDimensionality: 128 });
        assert.ok(answer.status === 200 || answer.status === 400, `${mimeType} ${length}: ${answer.status}`);
        assert.ok(answer.json, 'a JSON answer');
      }
    }
    // Garbage on the wire: the double closes or answers, and keeps serving others.
    for (const garbage of ['GARBAGE\r\n\r\n', 'POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n', '\x00\x01\x02\r\n\r\n', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\n\r\n`]) {
      await new Promise((resolve) => {
        const socket = net.connect(fixture.double.port, '127.0.0.1', () => socket.end(garbage));
        socket.on('error', resolve);
        socket.on('close', resolve);
        socket.resume();
      });
    }
    assert.equal((await embedContent(fixture.double, { content: textContent('still alive') })).status, 200);
  });
});

// Resolves with how long the double took to close a connection that sent `bytes` and then stalled.
function secondsUntilClosed(port, bytes) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.resume();
    socket.on('error', () => {}); // a reset is a close too
    socket.on('close', () => resolve((performance.now() - started) / 1000));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the double kept a stalled connection open for 10 s'));
    }, 10_000);
  });
}

describe('limits', () => {
  const fixture = useDouble(['--body-limit-bytes', '4096', '--read-timeout-seconds', '1']);

  it('refuses a body over --body-limit-bytes with 413 and Google\'s error shape, then serves others', async () => {
    const answer = await embedContent(fixture.double, { content: textContent('x'.repeat(10_000)) });
    assertGoogleError(answer, 413, 'INVALID_ARGUMENT', /exceeds the limit: 4096 bytes/);
    assert.equal((await embedContent(fixture.double, { content: textContent('small') })).status, 200);
  });

  it('closes connections that stall inside a header or a body after --read-timeout-seconds', async () => {
    const path = `/v1beta/models/${model}:embedContent`;
    const closedAfter = await Promise.all([
      secondsUntilClosed(fixture.double.port, `POST ${path} HTTP/1.1\r\nHost: x\r\n`),
      secondsUntilClosed(fixture.double.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"con`),
      secondsUntilClosed(fixture.double.port, ''),
    ]);
    for (const seconds of closedAfter) assert.ok(seconds >= 0.9 && seconds < 5, `closed after ${seconds} s`);
    assert.equal((await embedContent(fixture.double, { content: textContent('small') })).status, 200);
  });
});

describe('input size', () => {
  const fixture = useDouble();

  it('refuses text over 8,192 tokens, as Google does', { skip: withoutModel }, async () => {
    const answer = await embedContent(fixture.double, { content: textContent('word '.repeat(9000)) });
    assertGoogleError(answer, 400, 'INVALID_ARGUMENT', /The input token count \(\d+\) exceeds the maximum number of tokens allowed \(8192\)/);
    const withinLimit = await embedContent(fixture.double, { content: textContent('word '.repeat(1000)), outputDimensionality: 128 });
    assert.equal(withinLimit.status, 200, withinLimit.text);
  });

  it('refuses a text part of more than 1 MB without tokenizing it', async () => {
    const answer = await embedContent(fixture.double, { content: textContent('x'.repeat(1_100_000)) });
    assertGoogleError(answer, 400, 'INVALID_ARGUMENT', /exceeds the maximum number of tokens/);
  });

  it('refuses a request body over 20 MB whole, as Google refuses an oversize payload, and counts its size', async () => {
    await reset(fixture.double);
    // Two 8 MB PDFs are 21.3 MiB once base64-encoded: each alone would be served.
    const pdf = Buffer.alloc(8_000_000, 0x20);
    pdf.write('%PDF-1.4\n');
    const item = { model: `models/${model}`, content: { parts: [inlineData('application/pdf', pdf)] } };
    const oversize = JSON.stringify({ requests: [item, item] });
    assert.ok(oversize.length > 20 * 1024 * 1024 && oversize.length < 64 * 1024 * 1024);
    const refused = await call(fixture.double, 'batchEmbedContents', { raw: oversize });
    assertGoogleError(refused, 400, 'INVALID_ARGUMENT', /^Request payload size exceeds the limit: 20971520 bytes\.$/);
    const single = JSON.stringify({ requests: [item] });
    const served = await call(fixture.double, 'batchEmbedContents', { raw: single });
    assert.equal(served.status, 200, served.text);
    const counted = await stats(fixture.double);
    assert.equal(counted.largest_body_bytes, oversize.length);
    assert.equal(counted.rejected_calls, 1);
    assert.deepEqual(counted.last_batch_sizes, [1]);
  });
});

describe('--request-limit-bytes', () => {
  const fixture = useDouble(['--request-limit-bytes', '1000']);

  it('moves the request cap', async () => {
    const answer = await embedContent(fixture.double, { content: textContent('x'.repeat(2_000)) });
    assertGoogleError(answer, 400, 'INVALID_ARGUMENT', /exceeds the limit: 1000 bytes/);
    assert.equal((await embedContent(fixture.double, { content: textContent('small') })).status, 200);
  });
});

describe('fault injection', () => {
  describe('--fail-429-every 2 --retry-after 7', () => {
    const fixture = useDouble(['--fail-429-every', '2', '--retry-after', '7']);

    it('answers every 2nd call with 429 RESOURCE_EXHAUSTED and Retry-After', async () => {
      const statuses = [];
      for (let index = 0; index < 6; index++) {
        const answer = index % 2 === 0
          ? await embedContent(fixture.double, { content: textContent('rate') })
          : await batchEmbedContents(fixture.double, { requests: [batchItem('rate')] });
        statuses.push(answer.status);
        if (answer.status === 429) {
          assert.equal(answer.headers.get('retry-after'), '7');
          assertGoogleError(answer, 429, 'RESOURCE_EXHAUSTED');
          assert.deepEqual(answer.json.error.details, [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }]);
        }
      }
      assert.deepEqual(statuses, [200, 429, 200, 429, 200, 429]);
      const counted = await stats(fixture.double);
      assert.equal(counted.calls, 6);
      assert.equal(counted.injected_faults, 3);
    });
  });

  describe('--fail-500-every 3', () => {
    const fixture = useDouble(['--fail-500-every', '3']);

    it('answers every 3rd call with 500 INTERNAL', async () => {
      const statuses = [];
      for (let index = 0; index < 6; index++) {
        const answer = await embedContent(fixture.double, { content: textContent('internal') });
        statuses.push(answer.status);
        if (answer.status === 500) assertGoogleError(answer, 500, 'INTERNAL');
      }
      assert.deepEqual(statuses, [200, 200, 500, 200, 200, 500]);
    });
  });

  describe('--latency-ms 400', () => {
    const fixture = useDouble(['--latency-ms', '400', '--threads', '1']);

    it('delays every call by at least the latency, without blocking other connections', async () => {
      await embedContent(fixture.double, { content: textContent('slow') }); // warm the text cache
      const started = performance.now();
      const single = await embedContent(fixture.double, { content: textContent('slow') });
      const elapsed = performance.now() - started;
      assert.equal(single.status, 200);
      assert.ok(elapsed >= 400, `answered after ${elapsed} ms`);
      // Four calls at once on a single io thread: timers, not sleeps, so they overlap.
      const concurrentStart = performance.now();
      const answers = await Promise.all(Array.from({ length: 4 }, () => embedContent(fixture.double, { content: textContent('slow') })));
      const concurrentElapsed = performance.now() - concurrentStart;
      assert.ok(answers.every((answer) => answer.status === 200));
      assert.ok(concurrentElapsed >= 400 && concurrentElapsed < 1200, `four concurrent calls took ${concurrentElapsed} ms`);
      // The test endpoints are not delayed.
      const statsStart = performance.now();
      await stats(fixture.double);
      assert.ok(performance.now() - statsStart < 300);
    });
  });

  describe('--drop-every 2', () => {
    const fixture = useDouble(['--drop-every', '2']);

    it('closes every 2nd connection without a response, which fetch sees as an error', async () => {
      const outcomes = [];
      for (let index = 0; index < 4; index++) {
        try {
          const answer = await embedContent(fixture.double, { content: textContent('drop') });
          outcomes.push(answer.status);
        } catch (failure) {
          assert.ok(failure instanceof TypeError, String(failure));
          outcomes.push('dropped');
        }
      }
      assert.deepEqual(outcomes, [200, 'dropped', 200, 'dropped']);
      assert.equal((await stats(fixture.double)).injected_faults, 2);
    });
  });

  describe('--rpm 3', () => {
    const fixture = useDouble(['--rpm', '3']);

    it('admits 3 calls a minute and answers the 4th with 429 and a Retry-After up to 60 s', async () => {
      const statuses = [];
      let retryAfter;
      for (let index = 0; index < 5; index++) {
        const answer = await embedContent(fixture.double, { content: textContent('quota') });
        statuses.push(answer.status);
        if (answer.status === 429) {
          assertGoogleError(answer, 429, 'RESOURCE_EXHAUSTED', /per minute/);
          retryAfter = Number(answer.headers.get('retry-after'));
        }
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      // A reset empties the window.
      await reset(fixture.double);
      assert.equal((await embedContent(fixture.double, { content: textContent('quota') })).status, 200);
    });
  });

  describe('POST /_double/faults', () => {
    const fixture = useDouble();

    it('changes the fault settings at run time', async () => {
      const configured = await getJson(fixture.double, '/_double/faults', { method: 'POST', body: JSON.stringify({ fail_500_every: 1 }) });
      assert.deepEqual(configured, { fail_429_every: 0, fail_500_every: 1, drop_every: 0, latency_ms: 0, rpm: 0, retry_after: 1 });
      assert.equal((await embedContent(fixture.double, { content: textContent('x') })).status, 500);
      const bad = await fetch(`${fixture.double.base}/_double/faults`, { method: 'POST', body: JSON.stringify({ fail_500_every: -1 }) });
      assert.equal(bad.status, 400);
      await getJson(fixture.double, '/_double/faults', { method: 'POST', body: JSON.stringify({ fail_500_every: 0 }) });
      assert.equal((await embedContent(fixture.double, { content: textContent('x') })).status, 200);
      assert.equal((await getJson(fixture.double, '/_double/faults')).fail_500_every, 0);
    });
  });
});

describe('the call gate (--hold-calls, POST /_double/hold, POST /_double/release)', () => {
  const fixture = useDouble(['--hold-calls']);

  // Polls /_double/stats until `held_calls` is `count`; the limit only turns a hang into a failure.
  async function untilHeld(double, count) {
    const started = Date.now();
    while ((await stats(double)).held_calls !== count) {
      assert.ok(Date.now() - started < 60_000, `never saw ${count} held calls`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('holds every embedding answer until released, then answers them all and lets later calls through', async () => {
    let answered = 0;
    const held = [
      embedContent(fixture.double, { content: textContent('held one') }),
      batchEmbedContents(fixture.double, { requests: [batchItem('held two'), batchItem('held three')] }),
    ].map((promise) => promise.then((answer) => {
      answered += 1;
      return answer;
    }));
    await untilHeld(fixture.double, 2);
    // Counted when they arrived, answered only at the release.
    const before = await stats(fixture.double);
    assert.equal(before.calls, 2);
    assert.equal(answered, 0);
    const released = await getJson(fixture.double, '/_double/release', { method: 'POST' });
    assert.deepEqual(released, { holding: false, released_calls: 2 });
    const [single, batch] = await Promise.all(held);
    assert.equal(single.status, 200, single.text);
    assertUnit(single.json.embedding.values, 3072);
    assert.equal(batch.status, 200, batch.text);
    assert.equal(batch.json.embeddings.length, 2);
    // The gate is open now: a call is answered at once.
    assert.equal((await embedContent(fixture.double, { content: textContent('open gate') })).status, 200);
    assert.equal((await stats(fixture.double)).held_calls, 0);

    // Closed again, and errors wait too; the test endpoints never do.
    assert.deepEqual(await getJson(fixture.double, '/_double/hold', { method: 'POST' }), { holding: true, held_calls: 0 });
    const refused = embedContent(fixture.double, { content: textContent('wrong key') }, { key: 'not-the-key' });
    await untilHeld(fixture.double, 1);
    assert.deepEqual(await getJson(fixture.double, '/_double/release', { method: 'POST' }), { holding: false, released_calls: 1 });
    assertGoogleError(await refused, 400, 'INVALID_ARGUMENT', /API key/);
    assert.equal((await fetch(`${fixture.double.base}/_double/release`)).status, 405);
  });

  it('stops cleanly with calls still held', async () => {
    const double = await startDouble(['--hold-calls']);
    const held = embedContent(double, { content: textContent('never answered') }).then(() => 'answered', () => 'connection closed');
    await untilHeld(double, 1);
    assert.deepEqual(await double.stop(), { code: 0, signal: null });
    assert.equal(await held, 'connection closed');
  });
});

describe('batch jobs (asyncBatchEmbedContent)', () => {
  const fixture = useDouble();
  const jobSettings = (settings) => getJson(fixture.double, '/_double/batch-jobs', { method: 'POST', body: JSON.stringify(settings) });
  async function batchCall(route, { method = 'GET', body, key = apiKey } = {}) {
    const headers = { 'content-type': 'application/json' };
    if (key !== null) headers['x-goog-api-key'] = key;
    const response = await fetch(`${fixture.double.base}/v1beta/${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, json: await response.json() };
  }
  const job = (texts, extra = {}) => ({
    batch: { displayName: 'test', inputConfig: { requests: { requests: texts.map((text, index) => ({ request: { content: textContent(text), outputDimensionality: 128 }, metadata: { key: `k${index}` } })) } }, ...extra },
  });
  const create = (body) => batchCall(`models/${model}:asyncBatchEmbedContent`, { method: 'POST', body });
  const poll = (name) => batchCall(name);

  it('walks pending, running, succeeded and answers the vectors embedContent gives, in order, with their metadata', async () => {
    await jobSettings({ pending_polls: 1, running_polls: 2, fail_every: 0, expire_every: 0, poll_500_every: 0, bad_answer_every: 0 });
    const created = await create(job(['a red bicycle', 'a blue boat']));
    assert.equal(created.status, 200);
    assert.match(created.json.name, /^batches\/\S+$/);
    assert.equal(created.json.metadata.state, 'BATCH_STATE_PENDING');
    assert.equal(created.json.done, undefined);
    const states = [];
    let last;
    for (let round = 0; round < 4; ++round) {
      last = await poll(created.json.name);
      assert.equal(last.status, 200);
      states.push(last.json.metadata.state);
    }
    assert.deepEqual(states, ['BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING', 'BATCH_STATE_RUNNING', 'BATCH_STATE_SUCCEEDED']);
    assert.equal(last.json.done, true);
    const results = last.json.metadata.output.inlinedResponses.inlinedResponses;
    assert.deepEqual(last.json.response.output, last.json.metadata.output, 'the same output where the doc puts it');
    assert.deepEqual(results.map((result) => result.metadata.key), ['k0', 'k1']);
    assert.deepEqual(results[1].response.embedding.values, await embedVector(fixture.double, [{ text: 'a blue boat' }], 128));
    assert.match(results[0].response.tokenCount, /^[1-9]\d*$/);
    const counts = await getJson(fixture.double, '/_double/batch-jobs');
    assert.deepEqual(counts.jobs.find((entry) => entry.name === created.json.name), { name: created.json.name, state: 'BATCH_STATE_SUCCEEDED', inputs: 2, polls: 4 });
  });

  it('plays failed, expired, poll 500s and a missing result as asked, and cancels and deletes', async () => {
    await jobSettings({ pending_polls: 0, running_polls: 0, fail_every: 2, expire_every: 3, poll_500_every: 0, bad_answer_every: 1 });
    const first = (await create(job(['one', 'two']))).json.name;
    const second = (await create(job(['three']))).json.name;
    const third = (await create(job(['four']))).json.name;
    const succeeded = await poll(first);
    assert.equal(succeeded.json.metadata.state, 'BATCH_STATE_SUCCEEDED');
    assert.equal(succeeded.json.metadata.output.inlinedResponses.inlinedResponses.length, 1, 'bad_answer_every 1: the last result is missing');
    const failed = await poll(second);
    assert.equal(failed.json.metadata.state, 'BATCH_STATE_FAILED');
    assert.equal(failed.json.done, true);
    assert.match(failed.json.error.message, /failed/);
    const expired = await poll(third);
    assert.equal(expired.json.metadata.state, 'BATCH_STATE_EXPIRED');
    assert.match(expired.json.error.message, /48 hours/);
    await jobSettings({ pending_polls: 5, running_polls: 0, fail_every: 0, expire_every: 0, poll_500_every: 2, bad_answer_every: 0 });
    const slow = (await create(job(['five']))).json.name;
    assert.equal((await poll(slow)).status, 200);
    const unavailable = await poll(slow);
    assert.equal(unavailable.status, 500);
    assert.equal(unavailable.json.error.status, 'INTERNAL');
    assert.equal((await batchCall(`${slow}:cancel`, { method: 'POST', body: {} })).status, 200);
    await jobSettings({ poll_500_every: 0 });
    assert.equal((await poll(slow)).json.metadata.state, 'BATCH_STATE_CANCELLED');
    assert.equal((await batchCall(slow, { method: 'DELETE' })).status, 200);
    assert.equal((await poll(slow)).status, 404);
  });

  it('refuses bad bodies, keys and settings like the embedding routes do', async () => {
    const noKey = await batchCall(`models/${model}:asyncBatchEmbedContent`, { method: 'POST', body: job(['x']), key: null });
    assert.equal(noKey.status, 400);
    assert.equal((await batchCall('batches/anything', { key: 'wrong' })).status, 400);
    assertGoogleError(await create({ batch: { inputConfig: { requests: { requests: [] } } } }), 400, 'INVALID_ARGUMENT', /at least one request/);
    const unknownField = await create({ batch: { inputConfig: { requests: { requests: [{ request: { content: textContent('x') }, extra: 1 }] } } } });
    assertGoogleError(unknownField, 400, 'INVALID_ARGUMENT', /Unknown name "extra"/);
    const file = await create({ batch: { inputConfig: { fileName: 'files/abc' } } });
    assertGoogleError(file, 400, 'INVALID_ARGUMENT', /no Files API/);
    const badDimensions = await create({ batch: { inputConfig: { requests: { requests: [{ request: { content: textContent('x'), outputDimensionality: 5 } }] } } } });
    assert.equal(badDimensions.status, 400);
    assert.equal((await poll('batches/unknown')).status, 404);
    const badSetting = await fetch(`${fixture.double.base}/_double/batch-jobs`, { method: 'POST', body: JSON.stringify({ fail_every: -1 }) });
    assert.equal(badSetting.status, 400);
  });

  it('speaks the shapes Google\'s SDK (@google/genai) sends and reads', { skip: testPackages ? false : 'needs MOSAIC_TEST_NODE_PREFIX (@google/genai)' }, async () => {
    await jobSettings({ pending_polls: 1, running_polls: 1, fail_every: 0, expire_every: 0, poll_500_every: 0, bad_answer_every: 0 });
    const { GoogleGenAI } = createRequire(path.join(testPackages, 'package.json'))('@google/genai');
    const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl: fixture.double.base } });
    const warn = console.warn;
    console.warn = () => {};  // "createEmbeddings() is experimental"
    let created;
    try {
      created = await ai.batches.createEmbeddings({ model, src: { inlinedRequests: { contents: ['a red bicycle', 'a blue boat'], config: { outputDimensionality: 128 } } } });
    } finally {
      console.warn = warn;
    }
    assert.equal(created.state, 'JOB_STATE_PENDING');
    let read;
    for (let round = 0; round < 3; ++round) read = await ai.batches.get({ name: created.name });
    assert.equal(read.state, 'JOB_STATE_SUCCEEDED');
    const answers = read.dest.inlinedEmbedContentResponses;
    assert.equal(answers.length, 2);
    assert.deepEqual(answers[0].response.embedding.values, await embedVector(fixture.double, [{ text: 'a red bicycle' }], 128));
  });
});

describe('command line', () => {
  it('refuses unknown flags and bad numbers with exit code 2', async () => {
    for (const flags of [['--no-such-flag', '1'], ['--rpm', 'many'], ['--port', '70000'], ['--latency-ms']]) {
      const child = spawn(binary, ['--hash-text', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (text) => {
        stderr += text;
      });
      const [code] = await new Promise((resolve) => child.on('exit', (...result) => resolve(result)));
      assert.equal(code, 2, flags.join(' '));
      assert.match(stderr, /see --help/);
    }
  });

  it('stops cleanly on SIGINT as well as SIGTERM', async () => {
    const double = await startDouble();
    process.kill(double.pid, 'SIGINT');
    assert.deepEqual(await double.exited, { code: 0, signal: null });
  });
});
