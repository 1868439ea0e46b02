// The keyword peers benchmark (make bench): Mosaic's vector, keyword and hybrid search next to well-known
// keyword engines and Orama's hybrid mode, on beir-msmarco-5k (5,000 passages, 50 queries), in one run,
// every ranking scored by the same code (mosaic_model_benchmark --rankings-only: nDCG@10, Recall@100).
// The peers, each over the 5,000 passages (title + text as BEIR gives them; the id is `_id`), top 100:
//   plain BM25       the reference: 40 lines of JavaScript (lower-cased [a-z0-9]+ tokens, no stemming,
//                    no stop words, k1 0.9, b 0.4, BEIR's idf), what a page without a library would do
//   MiniSearch       npm minisearch, its defaults (BM25+: k 1.2, b 0.7, d 0.5; OR of the terms; no
//                    prefix or fuzzy). MiniSearch ships no stemmer (its processTerm is where one would
//                    go), so it runs with its defaults only
//   Lunr             npm lunr, its defaults (trimmer, English stop words, Porter stemmer; BM25 k1 1.2,
//                    b 0.75); queries go through the same pipeline as the passages (see the Lunr section)
//   Orama full-text  npm @orama/orama, mode fulltext: its defaults (BM25 k 1.2, b 0.75, d 0.5; no
//                    stemming, no stop words, query words matched as prefixes of indexed words), and
//                    once with its built-in English stemmer
//   Orama hybrid     mode hybrid: its full-text side as above, its vector side over Mosaic's own vectors
//                    (see "vectors" below); its defaults (similarity threshold 0.8, text and vector
//                    weights 0.5 each), and once with the stemmer and no similarity threshold
//                    (0), since at 0.8 few passages of this model pass and the vector side hardly counts
//   Xapian           Debian's python3-xapian through tests/bench/xapian_bm25.py: English stemmer
//                    (STEM_SOME), BM25Weight at Xapian's defaults (k1 1, b 0.5) and at ours (k1 0.9, b 0.4)
//   Mosaic           vector, keyword and hybrid as `mosaic query` gives them, read from
//                    build/bench/retrieval-results.json (retrieval_benchmark.mjs, which runs first in
//                    make bench, on the same scorer), else measured here with `mosaic query` on its site
// Vectors: Orama's hybrid mode searches the vectors Mosaic stored in the retrieval benchmark's site
// (build/bench/retrieval/site), decoded from its int8 shard (docs/format.md). Mosaic indexes chunks and a
// passage may have 2; Orama gets one vector per passage, its first chunk's (source_offset 0). Query
// vectors come from `mosaic embed "text" --json` (the same model, as the site's queries use). Without the
// site, Orama hybrid and Mosaic's rows are skipped with a message.
// Measured per method: build time (index construction in this process; Xapian's in its own), median
// single-query time (each of the 50 queries once, after 3 warm-up queries), index bytes per passage
// (what the library serializes: JSON.stringify of MiniSearch's and Lunr's index, of Orama's save() without
// its stored documents, of the plain reference's postings; Xapian's database directory; Mosaic's site
// files: shards for vector, the keyword directory and term files for keyword, both for hybrid).
// Mosaic's query time is measured in this process through its JavaScript API (wasm) when WEB_DIR is given,
// as the JavaScript peers are; without WEB_DIR it is the median `mosaic query` process (start, loading the
// site, for vector and hybrid embedding the query), which is not comparable with the others.
// Mosaic's build time is the retrieval benchmark's `mosaic index` (embedding included, minus its cache hits).
// Target: Mosaic keyword's nDCG@10 within 0.01 of the best peer engine's BM25 or above it.
// Benchmarks report; a missed target does not fail the run, a failed process does.
// Writes build/bench/keyword-peers/rankings-<method>.jsonl and build/bench/keyword-peers-results.json.
// Usage: node tests/bench/keyword_peers_benchmark.mjs MOSAIC_BINARY MODEL_BENCHMARK_BINARY [WEB_DIR]
//        [--retrieval-dir DIR]
//   WEB_DIR          build-wasm/web (mosaic.mjs): Mosaic's query times in process
//   --retrieval-dir  where retrieval-results.json and retrieval/site are (default build/bench)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { findRetrievalDataDirectory } from './retrieval_data.mjs';

const ownArguments = process.argv.slice(2);
const retrievalAt = ownArguments.indexOf('--retrieval-dir');
const [mosaicBinary, modelBenchmarkBinary, webDirectory] = ownArguments.filter((argument, position) =>
  !argument.startsWith('--') && ownArguments[position - 1] !== '--retrieval-dir');
if (!mosaicBinary || !modelBenchmarkBinary) {
  throw new Error('usage: keyword_peers_benchmark.mjs MOSAIC_BINARY MODEL_BENCHMARK_BINARY [WEB_DIR] [--retrieval-dir DIR]');
}
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const dataDirectory = findRetrievalDataDirectory(repositoryRoot);
const cacheDirectory = process.env.MOSAIC_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mosaic');
const modelDirectory = path.join(cacheDirectory, 'npm', 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const workDirectory = path.join(benchDirectory, 'keyword-peers');
const resultsPath = path.join(benchDirectory, 'keyword-peers-results.json');
const retrievalDirectory = retrievalAt >= 0 ? path.resolve(ownArguments[retrievalAt + 1]) : benchDirectory;
const site = path.join(retrievalDirectory, 'retrieval', 'site');
const retrievalResultsPath = path.join(retrievalDirectory, 'retrieval-results.json');
const queryDocuments = 100;  // Recall@100 needs 100 documents
const warmUpQueries = 3;
// Debian's python3, where python3-xapian installs its module (another python3 earlier on PATH, e.g.
// pyenv's, does not see it).
const debianPython = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

if (!fs.existsSync(path.join(dataDirectory, 'corpus.jsonl'))) {
  console.log(`keyword peers benchmark skipped: ${dataDirectory} is absent (it comes from ../shared beside the checkout)`);
  process.exit(0);
}
const packagesDirectory = path.join(cacheDirectory, 'npm-bench', 'node_modules');
if (!fs.existsSync(path.join(packagesDirectory, 'minisearch'))) {
  throw new Error(`${packagesDirectory}/minisearch is missing: run scripts/install-bench-packages.sh`);
}
const requirePackage = createRequire(path.join(packagesDirectory, 'package.json'));
const packageVersion = (name) => JSON.parse(fs.readFileSync(path.join(packagesDirectory, name, 'package.json'), 'utf8')).version;
fs.mkdirSync(workDirectory, { recursive: true });

const readLines = (name) => fs.readFileSync(path.join(dataDirectory, name), 'utf8').split('\n').filter(Boolean)
  .map((line) => JSON.parse(line));
const passages = readLines('corpus.jsonl');
const queries = readLines('queries.jsonl');
const median = (values) => {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const jsonBytes = (value) => Buffer.byteLength(JSON.stringify(value));
const filesBytes = (folder) => (fs.existsSync(folder)
  ? fs.readdirSync(folder).reduce((sum, name) => sum + fs.statSync(path.join(folder, name)).size, 0) : 0);

function score(rankingsPath) {
  const scored = spawnSync(modelBenchmarkBinary, [dataDirectory, '--model-dir', modelDirectory, '--rankings', rankingsPath,
    '--rankings-only', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (scored.status !== 0) throw new Error(`mosaic_model_benchmark failed with ${scored.status}: ${scored.stderr}`);
  const figures = JSON.parse(scored.stdout.trim().split('\n').pop());
  return { ndcg_at_10: figures.rankings_ndcg_at_10, recall_at_100: figures.rankings_recall_at_100 };
}

const fileNameOf = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
function writeRankings(name, rankings) {
  const rankingsPath = path.join(workDirectory, `rankings-${fileNameOf(name)}.jsonl`);
  fs.writeFileSync(rankingsPath, rankings.map((passageIds, position) =>
    JSON.stringify({ query: queries[position]._id, passages: passageIds.slice(0, queryDocuments) })).join('\n') + '\n');
  return rankingsPath;
}

// Runs a method built in this process: { name, build() -> { search(text, queryIndex) -> ids, indexBytes } }.
async function measure(method) {
  console.error(`keyword peers benchmark: ${method.name}…`);
  const buildStarted = performance.now();
  const built = await method.build();
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  for (let position = 0; position < warmUpQueries; position += 1) await built.search(queries[position].text, position);
  const rankings = [];
  const milliseconds = [];
  for (const [position, query] of queries.entries()) {
    const started = performance.now();
    const ranking = await built.search(query.text, position);
    milliseconds.push(performance.now() - started);
    rankings.push(ranking);
  }
  const indexBytes = typeof built.indexBytes === 'function' ? built.indexBytes() : built.indexBytes;
  return {
    name: method.name, kind: method.kind, library: method.library, settings: method.settings,
    ...score(writeRankings(method.name, rankings)),
    build_seconds: buildSeconds, median_query_milliseconds: median(milliseconds),
    index_bytes: indexBytes, index_bytes_per_passage: indexBytes === undefined ? undefined : indexBytes / passages.length,
  };
}

const rows = [];
const skipped = [];

// ---- plain BM25: the reference ----
// The algorithm of a 40-line page script: lower-cased [a-z0-9]+ tokens, title and text as one field,
// BM25 with k1 0.9, b 0.4 and BEIR's idf ln(1 + (N - df + 0.5) / (df + 0.5)), each distinct query term
// once. Kept in postings (term -> [passage, tf]) so a query touches only the passages holding its terms;
// the scores and the order (score, then corpus order) are the brute-force loop's.
const plainTokens = (text) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
rows.push(await measure({
  name: 'plain BM25 (reference)', kind: 'reference', library: 'this script', settings: 'lower-cased [a-z0-9]+ tokens, no stemming, k1 0.9, b 0.4',
  build() {
    const k1 = 0.9;
    const b = 0.4;
    const postings = new Map();
    const lengths = new Float64Array(passages.length);
    for (const [row, passage] of passages.entries()) {
      const tokens = plainTokens(`${passage.title ?? ''} ${passage.text}`);
      lengths[row] = tokens.length;
      const counts = new Map();
      for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
      for (const [token, count] of counts) {
        if (!postings.has(token)) postings.set(token, []);
        postings.get(token).push(row, count);
      }
    }
    const averageLength = lengths.reduce((sum, length) => sum + length, 0) / passages.length;
    return {
      search(text) {
        const scores = new Map();
        for (const term of new Set(plainTokens(text))) {
          const list = postings.get(term);
          if (!list) continue;
          const documentFrequency = list.length / 2;
          const idf = Math.log(1 + (passages.length - documentFrequency + 0.5) / (documentFrequency + 0.5));
          for (let at = 0; at < list.length; at += 2) {
            const row = list[at];
            const frequency = list[at + 1];
            const termScore = idf * frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * lengths[row] / averageLength));
            scores.set(row, (scores.get(row) ?? 0) + termScore);
          }
        }
        return [...scores].sort((left, right) => right[1] - left[1] || left[0] - right[0])
          .slice(0, queryDocuments).map(([row]) => passages[row]._id);
      },
      indexBytes: () => jsonBytes({ postings: [...postings], lengths: [...lengths] }),
    };
  },
}));

// ---- MiniSearch: its defaults ----
const { default: MiniSearch } = await import(pathToFileURL(path.join(packagesDirectory, 'minisearch', 'dist', 'es', 'index.js')).href);
rows.push(await measure({
  name: 'MiniSearch', kind: 'peer', library: `minisearch ${packageVersion('minisearch')}`,
  settings: 'defaults: BM25+ k 1.2, b 0.7, d 0.5; OR; no stemmer (it ships none), no prefix or fuzzy',
  build() {
    const index = new MiniSearch({ idField: '_id', fields: ['title', 'text'] });
    index.addAll(passages);
    return {
      search: (text) => index.search(text).slice(0, queryDocuments).map((result) => result.id),
      indexBytes: () => jsonBytes(index),
    };
  },
}));

// ---- Lunr: its defaults ----
const lunr = requirePackage('lunr');
rows.push(await measure({
  name: 'Lunr', kind: 'peer', library: `lunr ${packageVersion('lunr')}`,
  settings: 'defaults: trimmer, English stop words, Porter stemmer; BM25 k1 1.2, b 0.75; OR',
  build() {
    const index = lunr(function buildLunr() {
      this.ref('_id');
      this.field('title');
      this.field('text');
      for (const passage of passages) this.add(passage);
    });
    // idx.search(text) would parse the text as Lunr's query language (`-`, `+`, `:`, `*`, `~`, `^` are
    // operators there) and only stem it, leaving punctuation such as "?" on the words. The text goes
    // instead through the pipeline the passages went through (tokenizer, trimmer, stop words, stemmer),
    // each resulting term an optional clause: a plain bag-of-words query.
    const queryPipeline = new lunr.Pipeline();
    queryPipeline.add(lunr.trimmer, lunr.stopWordFilter, lunr.stemmer);
    return {
      search(text) {
        const terms = queryPipeline.run(lunr.tokenizer(text)).map(String);
        return index.query((query) => {
          for (const term of terms) query.term(term, { usePipeline: false });
        }).slice(0, queryDocuments).map((result) => result.ref);
      },
      indexBytes: () => jsonBytes(index),
    };
  },
}));

// ---- Orama: full-text mode ----
const orama = await import(pathToFileURL(path.join(packagesDirectory, '@orama', 'orama', 'dist', 'esm', 'index.js')).href);
const oramaLibrary = `@orama/orama ${packageVersion('@orama/orama')}`;
// Orama's save() holds its stored documents (the passages' text) beside the index; they are left out so
// its figure is the index's, as the other engines' are.
const oramaIndexBytes = (database) => {
  const { docs, ...index } = orama.save(database);
  return jsonBytes(index);
};
async function oramaDatabase({ stemming, vectors }) {
  const database = orama.create({
    schema: { title: 'string', text: 'string', ...(vectors ? { embedding: `vector[${vectors.dimensions}]` } : {}) },
    ...(stemming ? { components: { tokenizer: { language: 'english', stemming: true } } } : {}),
  });
  const documents = passages.map((passage) => ({ id: passage._id, title: passage.title ?? '', text: passage.text,
    ...(vectors ? { embedding: vectors.byPassage.get(passage._id) } : {}) }));
  await orama.insertMultiple(database, documents, 1000);
  return database;
}
// Orama matches each query word as a prefix of the indexed words ("cost" also finds "costume"): its
// radix tree's lookup without `exact`. Its `exact: true` is no whole-word switch: it keeps only the
// passages holding every query word verbatim (case-sensitive), an AND filter that leaves almost nothing
// for these queries (nDCG@10 0.07 when tried), so Orama runs without it.
for (const stemming of [false, true]) {
  rows.push(await measure({
    name: `Orama full-text${stemming ? ', English stemmer' : ''}`, kind: 'peer', library: oramaLibrary,
    settings: `mode fulltext; BM25 k 1.2, b 0.75, d 0.5 (defaults); ${stemming ? 'its English stemmer' : 'no stemming (default)'}; ` +
      'query words match as prefixes (default); no stop words; threshold 1 (any term)',
    async build() {
      const database = await oramaDatabase({ stemming });
      return {
        search: async (text) => (await orama.search(database, { term: text, properties: ['title', 'text'], limit: queryDocuments }))
          .hits.map((hit) => hit.id),
        indexBytes: () => oramaIndexBytes(database),
      };
    },
  }));
}

// ---- Xapian: its BM25, through Debian's python3-xapian ----
function runXapian(name, settings, weightArguments) {
  console.error(`keyword peers benchmark: ${name}…`);
  const ran = spawnSync(debianPython, [path.join(repositoryRoot, 'tests', 'bench', 'xapian_bm25.py'),
    path.join(dataDirectory, 'corpus.jsonl'), path.join(dataDirectory, 'queries.jsonl'),
    path.join(workDirectory, 'xapian-database'), '--top', String(queryDocuments), ...weightArguments],
  { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (ran.status !== 0) throw new Error(`xapian_bm25.py failed with ${ran.status}: ${ran.stderr}`);
  const summary = JSON.parse(ran.stderr.trim().split('\n').pop());
  const rankings = ran.stdout.trim().split('\n').map((line) => JSON.parse(line).passages);
  return {
    name, kind: 'peer', library: `Xapian ${summary.xapian} (python3-xapian)`, settings,
    ...score(writeRankings(name, rankings)),
    build_seconds: summary.build_seconds, median_query_milliseconds: summary.median_query_milliseconds,
    index_bytes: summary.index_bytes, index_bytes_per_passage: summary.index_bytes / passages.length,
  };
}
const xapianPresent = spawnSync(debianPython, ['-c', 'import xapian']).status === 0;
if (xapianPresent) {
  rows.push(runXapian('Xapian BM25', 'English stemmer, STEM_SOME; BM25Weight defaults (k1 1, k2 0, k3 1, b 0.5, min_normlen 0.5); OR', []));
  rows.push(runXapian('Xapian BM25, k1 0.9 b 0.4', 'English stemmer, STEM_SOME; BM25Weight k1 0.9, b 0.4 (ours), k2 0, k3 1, min_normlen 0.5; OR',
    ['--k1', '0.9', '--b', '0.4']));
} else {
  skipped.push(`Xapian: ${debianPython} cannot import xapian (run scripts/install-dependencies.sh bench as root)`);
}

// ---- the vectors: Mosaic's site (documents) and `mosaic embed` (queries) ----
function runProcess(command, commandArguments) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArguments);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => { stdout += data; });
    child.stderr.on('data', (data) => { stderr += data; });
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`${path.basename(command)} ${commandArguments[0]} failed with ${status}: ${stderr}`));
      else resolve(stdout);
    });
  });
}
// Runs `work(position)` for every query, `concurrency` at a time (2: the machine's cores; 1 where
// the processes are timed).
async function forEveryQuery(work, concurrency = 2) {
  const answers = new Array(queries.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < queries.length) {
      const position = next++;
      answers[position] = await work(position);
    }
  }));
  return answers;
}

// The site's stored vectors, one per passage: its first chunk's (source_offset 0, else the smallest).
// Read from the int8 (or float32) shards as docs/format.md lays them out; the checksum was checked when
// `mosaic index` wrote them and is not checked again here.
function readSiteVectors() {
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  const byPassage = new Map();
  const offsetOf = new Map();
  for (const shard of manifest.shards) {
    const bytes = fs.readFileSync(path.join(site, shard.file));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dimensions = view.getUint32(12, true);
    const itemCount = Number(view.getBigUint64(16, true));
    const quantization = view.getUint8(24);
    const vectorsOffset = Number(view.getBigUint64(32, true));
    const scalesOffset = Number(view.getBigUint64(40, true));
    const idsOffset = Number(view.getBigUint64(48, true));
    const items = new Map(JSON.parse(fs.readFileSync(path.join(site, shard.metadata.file), 'utf8')).items
      .map((item) => [item.id, item]));
    for (let row = 0; row < itemCount; row += 1) {
      const id = view.getBigUint64(idsOffset + row * 8, true).toString(16).padStart(16, '0');
      const item = items.get(id);
      if (!item) throw new Error(`item ${id} of ${shard.file} is not in ${shard.metadata.file}`);
      const passage = path.basename(item.source).replace(/\.txt$/, '');
      const offset = item.source_offset ?? 0;
      if (offsetOf.has(passage) && offsetOf.get(passage) <= offset) continue;
      const vector = new Array(dimensions);
      if (quantization === 1) {
        const scale = view.getFloat32(scalesOffset + row * 4, true);
        for (let component = 0; component < dimensions; component += 1) {
          vector[component] = view.getInt8(vectorsOffset + row * dimensions + component) * scale;
        }
      } else {
        for (let component = 0; component < dimensions; component += 1) {
          vector[component] = view.getFloat32(vectorsOffset + (row * dimensions + component) * 4, true);
        }
      }
      byPassage.set(passage, vector);
      offsetOf.set(passage, offset);
    }
  }
  const missing = passages.filter((passage) => !byPassage.has(passage._id)).length;
  if (missing) throw new Error(`${missing} passages have no vector in ${site}`);
  return { dimensions: manifest.dimensions, byPassage, manifest };
}

const siteReady = fs.existsSync(path.join(site, 'manifest.json'));
let siteVectors;
let queryVectors;
if (siteReady) {
  console.error('keyword peers benchmark: the site\'s vectors, and the queries\' through mosaic embed…');
  siteVectors = readSiteVectors();
  queryVectors = await forEveryQuery(async (position) => JSON.parse(await runProcess(mosaicBinary,
    ['embed', queries[position].text, '--json', '--model-dir', modelDirectory])).vector);
} else {
  skipped.push(`Orama hybrid and Mosaic: ${site} is absent (tests/bench/retrieval_benchmark.mjs writes it; make bench runs it first)`);
}

// ---- Orama: hybrid mode, over Mosaic's vectors ----
if (siteReady) {
  for (const [stemming, similarity] of [[false, undefined], [true, 0]]) {
    rows.push(await measure({
      name: `Orama hybrid${stemming ? ', English stemmer, similarity 0' : ''}`, kind: 'peer hybrid', library: oramaLibrary,
      settings: `mode hybrid; full text as Orama full-text${stemming ? ', English stemmer' : ''}; vector side: Mosaic's stored vectors (first chunk per passage), ` +
        `similarity threshold ${similarity ?? '0.8 (default)'}; weights text 0.5, vector 0.5 (defaults), each side divided by its best score`,
      async build() {
        const database = await oramaDatabase({ stemming, vectors: siteVectors });
        return {
          search: async (text, position) => (await orama.search(database, {
            mode: 'hybrid', term: text, properties: ['title', 'text'], limit: queryDocuments,
            vector: { value: queryVectors[position], property: 'embedding' }, ...(similarity === undefined ? {} : { similarity }),
          })).hits.map((hit) => hit.id),
          indexBytes: () => oramaIndexBytes(database),
        };
      },
    }));
  }
}

// ---- Mosaic: vector, keyword and hybrid ----
const passageOf = (result) => path.basename(result.item?.source ?? result.source).replace(/\.txt$/, '');
if (siteReady) {
  const manifest = siteVectors.manifest;
  const vectorBytes = manifest.shards.reduce((sum, shard) => sum + shard.bytes, 0);
  const keywordBytes = (manifest.keywords?.bytes ?? 0) + filesBytes(path.join(site, 'terms'));
  const modeBytes = { vector: vectorBytes, keyword: keywordBytes, hybrid: vectorBytes + keywordBytes };
  let retrieval = fs.existsSync(retrievalResultsPath) ? JSON.parse(fs.readFileSync(retrievalResultsPath, 'utf8')) : undefined;
  const qualitySource = retrieval ? path.relative(repositoryRoot, retrievalResultsPath) : 'mosaic query, this run';
  // CLI times, per `mosaic query` process: what a user of the command waits for.
  const cliRankings = {};
  const cliMilliseconds = {};
  for (const mode of ['vector', 'keyword', 'hybrid']) {
    console.error(`keyword peers benchmark: Mosaic ${mode} through mosaic query…`);
    const timings = [];
    cliRankings[mode] = await forEveryQuery(async (position) => {
      const started = performance.now();
      const answer = JSON.parse(await runProcess(mosaicBinary, ['query', site, queries[position].text, '-k', String(queryDocuments),
        '--json', '--model-dir', modelDirectory, '--mode', mode]));
      timings.push(performance.now() - started);
      return [...new Set(answer.results.map(passageOf))];
    }, 1);
    cliMilliseconds[mode] = median(timings);
  }
  if (!retrieval) {
    retrieval = { modes: {} };
    for (const mode of ['vector', 'keyword', 'hybrid']) retrieval.modes[mode] = score(writeRankings(`Mosaic ${mode} (mosaic query)`, cliRankings[mode]));
  }
  // In process, through the JavaScript API over the wasm core, as the JavaScript peers run.
  let wasmFigures;
  const apiModule = webDirectory && path.join(path.resolve(webDirectory), 'mosaic.mjs');
  if (apiModule && fs.existsSync(apiModule)) {
    const { Mosaic } = await import(pathToFileURL(apiModule).href);
    const database = await Mosaic.open(`${pathToFileURL(site).href}/`, { storage: null });
    await database.ready;
    if (database.errors?.length) throw new Error(`Mosaic refused files: ${database.errors.map((error) => error.message).join('; ')}`);
    const queryOf = {
      vector: (text, position) => [{ vector: queryVectors[position] }, { k: queryDocuments }],
      keyword: (text) => [{ text }, { k: queryDocuments, mode: 'keyword' }],
      hybrid: (text, position) => [{ text, vector: queryVectors[position] }, { k: queryDocuments, mode: 'hybrid' }],
    };
    wasmFigures = {};
    for (const mode of ['vector', 'keyword', 'hybrid']) {
      wasmFigures[mode] = await measure({
        name: `Mosaic ${mode} (wasm)`, kind: 'ours',
        build: () => ({
          search: async (text, position) => [...new Set((await database.search(...queryOf[mode](text, position))).results.map(passageOf))],
        }),
      });
    }
    database.close();
  } else {
    skipped.push('Mosaic in process (wasm): no WEB_DIR with mosaic.mjs given; Mosaic\'s query times are per mosaic query process');
  }
  const rowsOfMosaic = [['vector', retrieval.modes.vector], ['keyword', retrieval.modes.keyword], ['hybrid', retrieval.modes.hybrid]];
  const weights = Object.entries(retrieval.hybrid_by_vector_weight ?? {});
  if (weights.length) {
    const [bestWeight, best] = weights.reduce((left, right) => (right[1].ndcg_at_10 > left[1].ndcg_at_10 ? right : left));
    rowsOfMosaic.push([`hybrid, vector weight ${bestWeight} (best measured)`, best]);
  }
  for (const [mode, figures] of rowsOfMosaic) {
    const baseMode = mode.split(',')[0];
    const wasm = wasmFigures?.[baseMode];
    rows.push({
      name: `Mosaic ${mode}`, kind: 'ours', library: 'mosaic (this build)',
      settings: `${mode === 'keyword' ? 'BM25F k1 0.9, b 0.4, title 2, body 1, Snowball English stems' : ''}` +
        `${mode.startsWith('hybrid') ? 'min-max convex fusion' : ''}${mode === 'vector' ? 'int8 exact, use-lite-512' : ''}; quality from ${qualitySource}`,
      ndcg_at_10: figures.ndcg_at_10, recall_at_100: figures.recall_at_100,
      build_seconds: retrieval.index_seconds,
      median_query_milliseconds: wasm ? wasm.median_query_milliseconds : cliMilliseconds[baseMode],
      query_time_from: wasm ? 'wasm, in process' : 'mosaic query process',
      cli_median_query_milliseconds: cliMilliseconds[baseMode],
      index_bytes: modeBytes[baseMode], index_bytes_per_passage: modeBytes[baseMode] / passages.length,
      ...(wasm && mode === baseMode ? { wasm_ndcg_at_10: wasm.ndcg_at_10, wasm_recall_at_100: wasm.recall_at_100 } : {}),
    });
  }
}

// ---- the table and the target ----
const mosaicKeyword = rows.find((row) => row.name === 'Mosaic keyword');
const peerKeywordRows = rows.filter((row) => row.kind === 'peer');
const bestPeer = peerKeywordRows.reduce((best, row) => (!best || row.ndcg_at_10 > best.ndcg_at_10 ? row : best), undefined);
const target = mosaicKeyword && bestPeer ? {
  mosaic_keyword_ndcg_at_10: mosaicKeyword.ndcg_at_10, best_peer: bestPeer.name, best_peer_ndcg_at_10: bestPeer.ndcg_at_10,
  difference: mosaicKeyword.ndcg_at_10 - bestPeer.ndcg_at_10, met: mosaicKeyword.ndcg_at_10 >= bestPeer.ndcg_at_10 - 0.01,
} : undefined;
const results = {
  benchmark: 'keyword peers: Mosaic vector, keyword, hybrid and keyword engines on beir-msmarco-5k (nDCG@10, Recall@100 by mosaic_model_benchmark)',
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, node: process.version, date: new Date().toISOString() },
  passages: passages.length,
  queries: queries.length,
  rows,
  skipped,
  target,
};
fs.writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);

const fixed = (value, digits) => (value === undefined || value === null ? '—' : Number(value).toFixed(digits));
const nameWidth = Math.max(...rows.map((row) => row.name.length), 6);
console.log(`keyword peers on beir-msmarco-5k: ${passages.length} passages, ${queries.length} queries, top ${queryDocuments}` +
  ` (${results.machine.cpu}, ${results.machine.cores} cores, node ${results.machine.node})`);
console.log(`  ${'method'.padEnd(nameWidth)}  nDCG@10  Recall@100  build s  median query ms  index bytes/passage`);
for (const row of rows) {
  const timeMark = row.query_time_from === 'mosaic query process' ? '*' : ' ';
  console.log(`  ${row.name.padEnd(nameWidth)}  ${fixed(row.ndcg_at_10, 4).padStart(7)}  ${fixed(row.recall_at_100, 4).padStart(10)}` +
    `  ${fixed(row.build_seconds, 2).padStart(7)}  ${fixed(row.median_query_milliseconds, 2).padStart(14)}${timeMark}` +
    `  ${fixed(row.index_bytes_per_passage, 0).padStart(19)}`);
}
if (rows.some((row) => row.query_time_from === 'mosaic query process')) {
  console.log('  * per `mosaic query` process (start, loading the site, embedding for vector and hybrid): not comparable with in-process times');
}
if (rows.some((row) => row.kind === 'ours' && row.build_seconds !== undefined)) {
  console.log('  Mosaic\'s build s is the retrieval benchmark\'s `mosaic index` (embedding every chunk not in its cache, and the keyword index)');
}
for (const row of rows.filter((candidate) => candidate.wasm_ndcg_at_10 !== undefined)) {
  if (Math.abs(row.wasm_ndcg_at_10 - row.ndcg_at_10) > 0.0005) {
    console.log(`  note: ${row.name} through the wasm API scores nDCG@10 ${fixed(row.wasm_ndcg_at_10, 4)}, the CLI ${fixed(row.ndcg_at_10, 4)}`);
  }
}
for (const reason of skipped) console.log(`  skipped: ${reason}`);
if (target) {
  console.log(`  Mosaic keyword within 0.01 of the best peer BM25 (${target.best_peer}, ${fixed(target.best_peer_ndcg_at_10, 4)}) or above: ` +
    `${target.difference >= 0 ? '+' : ''}${fixed(target.difference, 4)}: ${target.met ? 'met' : 'MISSED'}`);
} else {
  console.log('  Mosaic keyword within 0.01 of the best peer BM25 or above: not measured (no Mosaic keyword row or no peer)');
}
console.log(`  results written to ${path.relative(repositoryRoot, resultsPath)}; rankings in ${path.relative(repositoryRoot, workDirectory)}/`);
