// Mosaic's JavaScript API: open an index site, keep its shards in a local store, and search it with the
// wasm core (mosaic-core.mjs). This file is the front door: the public exports and the Mosaic class,
// whose methods hand each job to the module named for it in lib/. Those only move bytes and promises:
// every format check, the search, normalization, the label vote and image preparation are the core's
// (shared/, through wasm/search_bindings.cpp). It runs untouched in a page and under Node 20.
//
//   const db = await Mosaic.open('https://example.com/index/', { onProgress });
//   const { results, partial } = await db.search({ text: 'a cat on a sofa' }, { k: 10 });
//
// Errors are MosaicError objects with a `code` (the core's error code names, plus network_error,
// storage_error and model_mismatch, which only this layer can meet: lib/errors.mjs) and a `message`
// that names what failed.
//
//   lib/errors.mjs             MosaicError and the core's {ok, error} outcomes
//   lib/urls.mjs               resolving the addresses given to the API
//   lib/fetching.mjs           fetch and file: reads, the manifest uncached, downloads with progress
//   lib/config.mjs             options, config.json and defaults
//   lib/core_loader.mjs        the wasm search module, once per URL
//   lib/model_loader.mjs       the local text model, once per weights folder
//   lib/stores.mjs             memory, Cache API and IndexedDB shard stores
//   lib/loaded_generation.mjs  one generation of the index in the core (the only caller of its index)
//   lib/shard_source.mjs       one shard from the store or the network; the store kept in step
//   lib/keyword_files.mjs      the keyword index's directory and term files, fetched as queries need them
//   lib/vector_files.mjs       a manifest's vector files: shards (flat) or partitions (partitioned)
//   lib/partitions.mjs         a partitioned site: centroids at open, partitions as queries probe them
//   lib/worker_pool.mjs        the one bounded pool that loads shards
//   lib/index_state.mjs        what an open index knows, shared by the modules below
//   lib/initial_load.mjs       loading the generation an index opens with
//   lib/generations.mjs        refresh: the next generation loaded, swapped in, old files evicted
//   lib/events.mjs             watch: server-sent events, else manifest polling
//   lib/query_embedding.mjs    a query as a vector: local model, or the proxy for text, images and audio
//   lib/media_preparation.mjs  images and audio prepared in wasm as the proxy takes them

import { resolveSettings, readConfig } from './lib/config.mjs';
import { loadCore } from './lib/core_loader.mjs';
import { MosaicError } from './lib/errors.mjs';
import { watch } from './lib/events.mjs';
import { fetchManifest } from './lib/fetching.mjs';
import { refresh } from './lib/generations.mjs';
import { IndexState } from './lib/index_state.mjs';
import { startLoading } from './lib/initial_load.mjs';
import { openGeneration } from './lib/loaded_generation.mjs';
import { encodeWav, maximumAudioSeconds, prepareAudio, prepareImage } from './lib/media_preparation.mjs';
import { embeddedQuery, queryVector, usesLocalModel } from './lib/query_embedding.mjs';
import { ShardSource } from './lib/shard_source.mjs';
import { loadKeywordFiles } from './lib/keyword_files.mjs';
import { prefetchPartitions, queryPartitions } from './lib/partitions.mjs';
import { isPartitioned } from './lib/vector_files.mjs';
import { cacheStore, defaultStore, indexedDbStore, memoryStore } from './lib/stores.mjs';
import { resolveUrl, withTrailingSlash } from './lib/urls.mjs';

export { MosaicError, loadCore, maximumAudioSeconds, memoryStore, cacheStore, indexedDbStore, defaultStore };

const now = () => (globalThis.performance ? globalThis.performance.now() : Date.now());

/**
 * @typedef {import('./mosaic').OpenOptions} OpenOptions
 * @typedef {import('./mosaic').Query} Query
 * @typedef {import('./mosaic').Filter} Filter
 * @typedef {import('./mosaic').SearchResult} SearchResult
 * @typedef {import('./mosaic').SearchAnswer} SearchAnswer
 * @typedef {import('./mosaic').ClassifyOptions} ClassifyOptions
 * @typedef {import('./mosaic').Classification} Classification
 * @typedef {import('./mosaic').SearchMode} SearchMode
 * @typedef {import('./mosaic').SearchOptions} SearchOptions
 */

/**
 * @param {unknown} value
 * @returns {unknown[]}
 */
function toList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export class Mosaic {
  /** @type {IndexState} */
  #state;

  /**
   * Resolves once the manifest is accepted and the first shard is searchable; the rest keep loading (`ready`).
   * @param {string | URL} baseUrl
   * @param {OpenOptions} [options]
   */
  static async open(baseUrl, options = {}) {
    const base = withTrailingSlash(resolveUrl(baseUrl, 'baseUrl'));
    const fetchFunction = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof fetchFunction !== 'function') throw new MosaicError('invalid_argument', 'no fetch: pass options.fetch');
    const manifestUrl = new URL('manifest.json', base);
    const [core, manifestFile, config] = await Promise.all([
      loadCore(options),
      fetchManifest(fetchFunction, manifestUrl),
      readConfig(fetchFunction, base),
    ]);
    const generation = openGeneration(core, manifestFile.text ?? '', manifestUrl, base);
    let state;
    try {
      const store = options.storage === undefined ? defaultStore(base.href) : options.storage;
      /** @type {(error: MosaicError) => void} */
      const report = (error) => options.onError?.(error);
      const source = new ShardSource({ store, fetchFunction, base, report });
      const settings = resolveSettings(options, config, base);
      state = new IndexState({ core, generation, base, options, fetchFunction, settings, source,
        manifestFile: { text: manifestFile.text ?? '', etag: manifestFile.etag } });
    } catch (error) {
      generation.close();  // an option refused (proxyUrl, modelBaseUrl that are not URLs): free the index
      throw error;
    }
    const db = new Mosaic(state);
    try {
      await startLoading(state);
    } catch (error) {
      db.close();
      throw error;
    }
    if (options.watch) db.watch({ onUpdate: options.onUpdate, onError: options.onError, eventsUrl: options.eventsUrl, pollInterval: options.pollInterval });
    return db;
  }

  /**
   * Decodes, resizes (longest side at most maxSide, never up) and re-encodes an image as JPEG, in wasm.
   * @param {import('./lib/media_preparation.mjs').MediaBytes} bytes
   * @param {{ maxSide?: number, quality?: number, coreUrl?: string }} [options]
   */
  static async prepareImage(bytes, options) {
    return prepareImage(bytes, options);
  }

  /**
   * Audio as the embedding proxy takes it: WAV and MP3 as they are, or cut to their first maxSeconds in
   * wasm; anything else decoded with Web Audio and written as WAV (lib/media_preparation.mjs).
   * @param {import('./lib/media_preparation.mjs').MediaBytes} audio
   * @param {{ maxSeconds?: number, sampleRate?: number, coreUrl?: string }} [options]
   */
  static async prepareAudio(audio, options) {
    return prepareAudio(audio, options);
  }

  /**
   * A 16-bit PCM WAV of float samples in [-1, 1] (interleaved when channels > 1), written by the wasm core.
   * @param {Float32Array | number[]} samples
   * @param {{ sampleRate: number, channels?: number, coreUrl?: string }} options
   */
  static async encodeWav(samples, options) {
    return encodeWav(samples, options);
  }

  /**
   * Use Mosaic.open: the state is made there.
   * @param {IndexState} state
   */
  constructor(state) {
    this.#state = state;
  }

  /** The accepted manifest, as a plain object (camel-cased manifest.json fields). */
  get manifest() { return this.#state.generation.manifest; }
  /** A snapshot of what was loaded, from where. */
  get stats() { return { ...this.#state.statistics }; }
  /** True once every shard is loaded; false while loading and after a shard failed. */
  get complete() { return this.#state.complete; }
  /** Shards that were refused or could not be fetched, as MosaicErrors with `file`. */
  get errors() { return [...this.#state.errors]; }
  /** The model this index was built with; text queries are embedded by it. */
  get model() { return this.#state.generation.manifest.model; }
  get usesLocalModel() { return usesLocalModel(this.#state); }
  /** The similarity from which a result is a close match for this index's model (the core's measured
   *  figure, shared/search/close_match.hpp), or undefined for a model without one. */
  get closeMatchSimilarity() { return this.#state.core.closeMatchSimilarity(this.#state.generation.manifest.model); }
  /** Resolves when every shard has loaded or failed and loaded shards are written to the store: {shardsLoaded, shardsFailed, errors}. Never rejects. */
  get ready() { return this.#state.ready; }

  /**
   * Metadata of a loaded item (the fields of items/<hash>.json), or undefined.
   * @param {string} id
   */
  item(id) {
    if (this.#state.closed) return undefined;
    return this.#state.generation.item(String(id));
  }

  /** Metadata of every loaded item, in manifest order (for facets such as the labels an app offers as
   *  filters). The core keeps the metadata; each shard's objects are made on the first call. */
  items() {
    if (this.#state.closed) return [];
    return this.#state.generation.items();
  }

  /**
   * Top-k search. `query`: a vector, {vector}, {text}, {image} or {audio}. A text query on an index
   * with a keyword index is hybrid by default: the vector search and the keyword index's BM25, fused
   * (`mode: 'vector'` or `'keyword'` for one side; a keyword search embeds nothing, so it needs no
   * model). The keyword files a query needs are fetched on the way (lib/keyword_files.mjs). With
   * `classify`, the answer also holds the label vote of the query's nearest labelled items passing
   * the filter, from the same scan (`classification`).
   * @param {Query} query
   * @param {SearchOptions} [options]
   */
  async search(query, { k = 10, filter, classify, onePerDocument = true, mode, vectorWeight, nprobe, rerankDepth } = {}) {
    const state = this.#state;
    state.checkOpen();
    if (mode !== undefined && mode !== 'vector' && mode !== 'keyword' && mode !== 'hybrid') {
      throw new MosaicError('invalid_argument', "mode must be 'hybrid', 'vector' or 'keyword'");
    }
    const text = query && typeof query === 'object' && 'text' in query && typeof query.text === 'string' ? query.text : undefined;
    if (text === undefined && (mode === 'keyword' || mode === 'hybrid')) {
      throw new MosaicError('invalid_argument', `a ${mode} search needs a text query ({text})`);
    }
    const normalized = text?.normalize('NFKC') ?? '';
    const readsKeywords = text !== undefined && mode !== 'vector' && Boolean(state.generation.manifest.keywords);
    const needsVector = mode !== 'keyword' || classify !== undefined;
    // The keyword files and the query's vector are fetched side by side.
    const [{ vector, truncation }] = await Promise.all([
      needsVector ? embeddedQuery(state, query) : Promise.resolve({ vector: [], truncation: undefined }),
      readsKeywords ? loadKeywordFiles(state, state.generation, normalized) : Promise.resolve(false),
    ]);
    // Again for the generation searched now (a refresh may have swapped it meanwhile; nothing to fetch
    // otherwise), with no await between this and the search.
    if (readsKeywords) await loadKeywordFiles(state, state.generation, normalized);
    const answer = await this.#query(vector, { k, filter, classify, onePerDocument, mode, vectorWeight, text: normalized, nprobe, rerankDepth });
    if (truncation) answer.truncation = truncation;
    return answer;
  }

  /**
   * Partitioned sites: fetches every partition now (into memory, within maxMemoryMB, and the store),
   * so that later searches and a page offline need no download. Resolves with {partitions, bytes}.
   */
  async prefetch() {
    this.#state.checkOpen();
    if (!isPartitioned(this.#state.generation.manifest)) return { partitions: 0, bytes: 0 };
    return prefetchPartitions(this.#state);
  }

  /**
   * The query's vector as this index searches it (embedded, truncated, normalized): a page that
   * searches one query several times (another filter, more results) embeds it once and passes the
   * vector each time.
   * @param {Query} query
   */
  async embed(query) {
    return (await this.embedQuery(query)).vector;
  }

  /**
   * embed(), and what the model left out: `truncation` {tokenCount, tokensRead, wordCount, wordsRead}
   * when the local model read only the first words of a text query (its window is 128 tokens, counted
   * by the core's tokenizer); absent otherwise.
   * @param {Query} query
   */
  async embedQuery(query) {
    const { vector, truncation } = await embeddedQuery(this.#state, query);
    this.#state.checkOpen();
    const prepared = this.#state.generation.prepareQuery(vector);
    return truncation ? { vector: prepared, truncation } : { vector: prepared };
  }

  /**
   * "More like this": the item's stored vector as the query (no embedding call); the item itself is left out.
   * @param {string} itemId
   * @param {{ k?: number, filter?: Filter, classify?: ClassifyOptions, onePerDocument?: boolean }} [options]
   */
  async similar(itemId, { k = 10, filter, classify, onePerDocument = true } = {}) {
    this.#state.checkOpen();
    const vector = this.#state.generation.storedVector(String(itemId));
    const exclude = /** @type {string[]} */ ([...toList(filter?.exclude), String(itemId)]);
    return this.#query(vector, { k, filter: { ...(filter ?? {}), exclude }, classify, onePerDocument });
  }

  /**
   * The kNN label vote: {label, known, confidence, votes, considered, bestScore, neighbours, partial};
   * label 'unknown' when no labelled neighbour is at least `threshold` similar, or the winner's
   * confidence is below `minConfidence`. The same vote as `mosaic classify` and POST /api/search.
   * @param {Query} query
   * @param {ClassifyOptions & { filter?: Filter }} [options]
   */
  async classify(query, { k = 5, threshold = 0, minConfidence = 0, filter } = {}) {
    const vector = await queryVector(this.#state, query);
    const answer = await this.#query(vector, { k: 0, filter, classify: { k, threshold, minConfidence } });
    return /** @type {Classification} */ (answer.classification);
  }

  /** Frees the wasm memory of every shard and stops watching. The instance cannot search afterwards. */
  close() {
    const state = this.#state;
    if (state.closed) return;
    state.closed = true;
    state.stopWatching?.();
    state.generation.close();
  }

  /**
   * Fetches manifest.json again (uncached; a 304 when its ETag is unchanged). For a new generation it
   * loads only the shards whose files are new (from the store first, else the network), checks them as
   * open does, keeps the shards both generations name without loading them again, and swaps the new
   * index in at once when everything is in: searches meanwhile answer from the old one. Files no longer
   * named leave the store. Resolves with
   * {changed, generation, previousGeneration, added, removed, kept, bytes, shardsFromStore, items, itemsBefore};
   * rejects with a MosaicError (and the open index untouched) when the manifest or a new shard is refused.
   */
  refresh() {
    return refresh(this.#state);
  }

  /**
   * Keeps this index current: listens to the server's /api/events (mosaic serve) and refreshes on each
   * event; where there is no such route (a static host) it polls the manifest every `pollInterval` ms
   * (60 s) instead, and in a page also whenever the page becomes visible. `onUpdate` gets each refresh
   * that changed something, `onError` each failed one. Returns a function that stops watching (close() does too).
   * @param {import('./mosaic').WatchOptions} [options]
   */
  watch(options = {}) {
    return watch(this.#state, options);
  }

  /**
   * @param {Float32Array | Float64Array | number[]} vector  as embedded; the core prepares it
   * @param {{ k: number, filter?: Filter, classify?: ClassifyOptions, onePerDocument?: boolean, mode?: SearchMode, vectorWeight?: number, text?: string, nprobe?: number, rerankDepth?: number }} options
   * @returns {Promise<SearchAnswer>}
   */
  async #query(vector, options) {
    const state = this.#state;
    state.checkOpen();
    const started = now();
    const partitioned = isPartitioned(state.generation.manifest);
    let fetched;
    let answered;
    if (partitioned) {
      const { answer, partitionsFetched, partitionsRead } = await queryPartitions(state, vector, options);
      answered = answer;
      fetched = { partitionsFetched, partitionsRead };
    } else {
      answered = state.generation.query(vector, options);
    }
    const { mode, results, classification } = answered;
    // A partitioned site's answer is final once the partitions it needs are in (it is approximate,
    // not partial); a flat site's is partial until every shard is searchable.
    const partial = partitioned ? false : !this.complete;
    /** @type {SearchAnswer} */
    const answer = {
      mode,
      results,
      partial,
      shardsSearched: state.generation.shardCount,
      shardsTotal: state.statistics.shardsTotal,
      milliseconds: now() - started,
    };
    if (partitioned) {
      answer.approximate = answered.approximate ?? false;
      answer.partitionsFetched = fetched?.partitionsFetched ?? 0;
      answer.partitionsRead = fetched?.partitionsRead ?? 0;
    }
    if (classification) answer.classification = { ...classification, partial };
    return answer;
  }
}

export default Mosaic;
