// Mosaic's JavaScript API: open an index site, keep its shards in a local store, and search it with the
// wasm core (mosaic-core.mjs). This file only moves bytes and promises: every format check, the
// search, normalization, the label vote and image preparation are the core's (shared/, through
// wasm/search_bindings.cpp). It runs untouched in a page and under Node 20.
//
//   const db = await Mosaic.open('https://example.com/index/', { onProgress });
//   const { results, partial } = await db.search({ text: 'a cat on a sofa' }, { k: 10 });
//
// Errors are MosaicError objects with a `code` (the core's error code names, plus the few below that
// only this layer can meet) and a `message` that names what failed.
//   network_error    a file could not be fetched (the message has the URL and the HTTP status)
//   storage_error    the shard store failed (reported through onError; loading goes on from the network)
//   model_mismatch   the embedding proxy answered with another model than the index was built with

const coreModuleName = './mosaic-core.mjs';
const modelModuleName = './mosaic-model.mjs';
const defaultConcurrency = 4;
const defaultImageMaxSide = 1024;  // as `mosaic serve --image-max-side`
const mediaSniffBytes = 65536;     // magic numbers sit at the start; text is never sniffed here
// Gemini embeds at most 80 s of audio (../shared/docs/gemini-api.md), and the proxy refuses longer WAVs.
export const maximumAudioSeconds = 80;
// Decoded audio is sent as mono 16-bit PCM at this rate: speech and most sounds keep their meaning,
// and 80 s stay 2.5 MB.
const defaultAudioSampleRate = 16000;
// A WAV or MP3 larger than this even after cutting (80 s of 48 kHz stereo 24-bit PCM is 23 MB) is
// re-encoded as above where Web Audio can decode it: a Gemini request holds at most 20 MB, base64
// included, and a query should not upload megabytes it does not need.
const maximumPassThroughAudioBytes = 8 * 1024 * 1024;

export class MosaicError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'MosaicError';
    this.code = code;
    Object.assign(this, details);
  }
}

function unwrap(outcome) {
  if (outcome.ok) return outcome.value;
  throw new MosaicError(outcome.error.code, outcome.error.message);
}

const now = () => (globalThis.performance ? globalThis.performance.now() : Date.now());

// ---- Reading files: http(s) through fetch, file: URLs through node:fs (Node only) ----

async function readFileUrl(url) {
  // Kept out of static imports so that a browser, or a bundler, never resolves node:fs.
  const moduleName = 'node:fs/promises';
  const { readFile } = await import(/* @vite-ignore */ moduleName);
  try {
    return new Uint8Array(await readFile(url));
  } catch (cause) {
    throw new MosaicError('network_error', `cannot read ${url.href}: ${cause.message}`);
  }
}

async function fetchResponse(fetchFunction, url, init) {
  let response;
  try {
    response = await fetchFunction(url.href, init);
  } catch (cause) {
    throw new MosaicError('network_error', `cannot fetch ${url.href}: ${cause.message}`);
  }
  return response;
}

async function readBytes(fetchFunction, url, init) {
  if (url.protocol === 'file:') return readFileUrl(url);
  const response = await fetchResponse(fetchFunction, url, init);
  if (!response.ok) throw new MosaicError('network_error', `${url.href}: HTTP ${response.status}`, { status: response.status });
  return new Uint8Array(await response.arrayBuffer());
}

const utf8 = new TextDecoder();

// manifest.json, never from a cache. With the ETag of the copy in hand, an unchanged manifest costs a
// 304 and no body: {text, etag} or {notModified: true}.
async function fetchManifest(fetchFunction, url, etag) {
  if (url.protocol === 'file:') return { text: utf8.decode(await readFileUrl(url)), etag: undefined };
  // Only where it costs no CORS preflight (same origin, or Node): a host elsewhere may not allow the header.
  const sameOrigin = !globalThis.location || globalThis.location.origin === url.origin;
  const headers = etag && sameOrigin ? { 'if-none-match': etag } : {};
  // 'no-store': the browser's HTTP cache neither answers nor turns our 304 into a 200.
  const response = await fetchResponse(fetchFunction, url, { cache: 'no-store', headers });
  if (response.status === 304 && etag) return { notModified: true, etag };
  if (!response.ok) throw new MosaicError('network_error', `${url.href}: HTTP ${response.status}`, { status: response.status });
  return { text: await response.text(), etag: response.headers.get('etag') ?? undefined };
}

// Reads a file with byte-level progress. A server that sends more than the manifest says is cut
// off one byte past it: the core then refuses the bytes by their hash, and memory stays bounded.
async function download(fetchFunction, url, expectedBytes, onBytes) {
  if (url.protocol === 'file:') {
    const bytes = await readFileUrl(url);
    onBytes(bytes.length);
    return bytes;
  }
  const response = await fetchResponse(fetchFunction, url);
  if (!response.ok) throw new MosaicError('network_error', `${url.href}: HTTP ${response.status}`, { status: response.status });
  if (!response.body || typeof response.body.getReader !== 'function') {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes(bytes.length);
    return bytes;
  }
  const limit = expectedBytes + 1;
  const buffer = new Uint8Array(limit);
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const taken = Math.min(value.length, limit - length);
    buffer.set(value.subarray(0, taken), length);
    length += taken;
    onBytes(taken);
    if (length === limit) {
      await reader.cancel();
      break;
    }
  }
  return buffer.subarray(0, length);
}

function toBase64(bytes) {
  let binary = '';
  const chunk = 0x8000;
  for (let start = 0; start < bytes.length; start += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(start, start + chunk));
  }
  return btoa(binary);
}

async function bytesOf(media, what) {
  if (media instanceof Uint8Array) return media;
  if (media instanceof ArrayBuffer) return new Uint8Array(media);
  if (ArrayBuffer.isView(media)) return new Uint8Array(media.buffer, media.byteOffset, media.byteLength);
  if (media && typeof media.arrayBuffer === 'function') return new Uint8Array(await media.arrayBuffer());  // Blob, File
  throw new MosaicError('invalid_argument', `${what} must be a Blob, a Uint8Array or an ArrayBuffer`);
}

function withTrailingSlash(url) {
  const copy = new URL(url.href);
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  return copy;
}

function resolveUrl(address, what) {
  try {
    return new URL(address, globalThis.location ? globalThis.location.href : undefined);
  } catch {
    throw new MosaicError('invalid_argument', `${what} '${address}' is not a URL (under Node, give an absolute http: or file: URL)`);
  }
}

// ---- The wasm modules ----

// Emscripten's ES6 loader fetches the .wasm beside its .mjs; under Node (file: URLs) it cannot, so the
// bytes are read here and handed in, as ../shared/docs/toolchain.md prescribes.
async function instantiate(moduleUrl, factoryName) {
  const imported = await import(moduleUrl.href);
  const factory = imported.default;
  if (typeof factory !== 'function') throw new MosaicError('invalid_argument', `${moduleUrl.href} does not export ${factoryName}`);
  const settings = {};
  if (moduleUrl.protocol === 'file:') settings.wasmBinary = await readFileUrl(new URL(moduleUrl.href.replace(/\.mjs$/, '.wasm')));
  return factory(settings);
}

const corePromises = new Map();

// The search module, loaded once per URL. `coreUrl` defaults to mosaic-core.mjs beside this file.
export function loadCore({ coreUrl } = {}) {
  const url = coreUrl ? resolveUrl(coreUrl, 'coreUrl') : new URL(coreModuleName, import.meta.url);
  if (!corePromises.has(url.href)) {
    const loading = instantiate(url, 'createMosaicCore');
    loading.catch(() => corePromises.delete(url.href));  // a failed load may be retried
    corePromises.set(url.href, loading);
  }
  return corePromises.get(url.href);
}

const modelPromises = new Map();

// The local text model (mosaic-model.mjs and its ~27 MB of weights), loaded only when an index built
// with it is searched by text, once per weights folder.
function loadLocalModel({ modelModuleUrl, modelBaseUrl, fetchFunction }) {
  const key = `${modelModuleUrl.href} ${modelBaseUrl.href}`;
  if (!modelPromises.has(key)) {
    const loading = (async () => {
      const module = await instantiate(modelModuleUrl, 'createMosaicModel');
      const modelJson = utf8.decode(await readBytes(fetchFunction, new URL('model.json', modelBaseUrl)));
      const shards = module.weightShardPaths(modelJson);
      if (!shards.ok) throw new MosaicError(shards.error.code, `${modelBaseUrl.href}model.json: ${shards.error.message}`);
      const parts = await Promise.all(shards.paths.map((path) => readBytes(fetchFunction, new URL(path, modelBaseUrl))));
      const weights = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
      let offset = 0;
      for (const part of parts) {
        weights.set(part, offset);
        offset += part.length;
      }
      const vocabulary = utf8.decode(await readBytes(fetchFunction, new URL('vocab.json', modelBaseUrl)));
      const loaded = module.loadModel(modelJson, weights, vocabulary);
      if (!loaded.ok) throw new MosaicError(loaded.error.code, `${modelBaseUrl.href}: ${loaded.error.message}`);
      return loaded.model;
    })();
    loading.catch(() => modelPromises.delete(key));
    modelPromises.set(key, loading);
  }
  return modelPromises.get(key);
}

// ---- Shard stores: files kept by content hash, so nothing is downloaded twice ----
// A store is { get(hash) -> Uint8Array | undefined, put(hash, bytes), delete(hash), keys() -> hashes },
// every method async. Only bytes the core has accepted are put; bytes read back are checked again.

export function memoryStore() {
  const files = new Map();
  return {
    kind: 'memory',
    async get(hash) { return files.get(hash); },
    async put(hash, bytes) { files.set(hash, bytes.slice()); },
    async delete(hash) { files.delete(hash); },
    async keys() { return [...files.keys()]; },
  };
}

// The Cache API (pages and workers). Keys are synthetic URLs: the cache never goes to the network.
export function cacheStore(name) {
  const keyOf = (hash) => `https://mosaic.invalid/files/${hash}`;
  let opened;
  const cache = () => (opened ??= globalThis.caches.open(name));
  return {
    kind: 'cache',
    async get(hash) {
      const response = await (await cache()).match(keyOf(hash));
      return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
    async put(hash, bytes) {
      await (await cache()).put(keyOf(hash), new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    },
    async delete(hash) { await (await cache()).delete(keyOf(hash)); },
    async keys() {
      const requests = await (await cache()).keys();
      return requests.map((request) => new URL(request.url).pathname.split('/').pop());
    },
  };
}

// IndexedDB, where the Cache API is missing (some private modes, older engines).
export function indexedDbStore(name) {
  let opened;
  const database = () => (opened ??= new Promise((resolve, reject) => {
    const request = globalThis.indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('files');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }));
  const run = async (mode, action) => {
    const files = await database();
    return new Promise((resolve, reject) => {
      const transaction = files.transaction('files', mode);
      const request = action(transaction.objectStore('files'));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    kind: 'indexeddb',
    async get(hash) {
      const value = await run('readonly', (files) => files.get(hash));
      return value === undefined ? undefined : new Uint8Array(value);
    },
    async put(hash, bytes) { await run('readwrite', (files) => files.put(bytes.slice().buffer, hash)); },
    async delete(hash) { await run('readwrite', (files) => files.delete(hash)); },
    async keys() { return (await run('readonly', (files) => files.getAllKeys())).map(String); },
  };
}

const processMemoryStores = new Map();

// The Cache API in a page, else IndexedDB, else (Node) one memory store per index for this process.
export function defaultStore(baseUrl) {
  const name = `mosaic ${withTrailingSlash(resolveUrl(baseUrl, 'baseUrl')).href}`;
  if (globalThis.caches && typeof globalThis.caches.open === 'function') return cacheStore(name);
  if (globalThis.indexedDB && typeof globalThis.indexedDB.open === 'function') return indexedDbStore(name);
  if (!processMemoryStores.has(name)) processMemoryStores.set(name, memoryStore());
  return processMemoryStores.get(name);
}

// ---- The API ----

export class Mosaic {
  #core;
  #index;
  #manifest;
  #base;
  #options;
  #fetch;
  #store;
  #proxyBase;
  #modelBaseUrl;
  #modelModuleUrl;
  #loaded = [];          // {position, handle, items}, kept in manifest order; items made on first use
  #errors = [];
  #statistics;
  #closed = false;
  #settled = 0;
  #manifestText;         // manifest.json as accepted: a refresh that fetches the same text changes nothing
  #manifestEtag;
  #refreshing;           // the refresh under way; a second caller shares it
  #stopWatching;

  /** Resolves once the manifest is accepted and the first shard is searchable; the rest keep loading (`ready`). */
  static async open(baseUrl, options = {}) {
    const base = withTrailingSlash(resolveUrl(baseUrl, 'baseUrl'));
    const fetchFunction = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof fetchFunction !== 'function') throw new MosaicError('invalid_argument', 'no fetch: pass options.fetch');
    const [core, manifest, config] = await Promise.all([
      loadCore(options),
      fetchManifest(fetchFunction, new URL('manifest.json', base)),
      readConfig(fetchFunction, base),
    ]);
    const opened = core.openIndex(manifest.text);
    if (!opened.ok) throw new MosaicError(opened.error.code, `${base.href}manifest.json: ${opened.error.message}`);
    const db = new Mosaic(core, opened.value, base, options, fetchFunction, config);
    db.#manifestText = manifest.text;
    db.#manifestEtag = manifest.etag;
    try {
      await db.#startLoading();
    } catch (error) {
      db.close();
      throw error;
    }
    if (options.watch) db.watch({ onUpdate: options.onUpdate, onError: options.onError, eventsUrl: options.eventsUrl, pollInterval: options.pollInterval });
    return db;
  }

  /** Decodes, resizes (longest side at most maxSide, never up) and re-encodes an image as JPEG, in wasm. */
  static async prepareImage(bytes, { maxSide = defaultImageMaxSide, quality = 85, coreUrl } = {}) {
    const core = await loadCore({ coreUrl });
    return unwrap(core.prepareImage(await bytesOf(bytes, 'the image'), maxSide, quality));
  }

  /**
   * Audio as the embedding proxy takes it. WAV and MP3 go as they are when they fit: a longer one is
   * cut to its first `maxSeconds` at a frame boundary by the wasm core (no decoding, same format). Anything
   * else the browser can decode (a MediaRecorder's WebM/Opus or MP4/AAC, Ogg, FLAC, a WAV encoding the
   * core does not read, ...) and a WAV too large to send even when cut (hours of hi-res PCM) is decoded
   * with Web Audio to mono at `sampleRate`, cut to `maxSeconds`, and written as 16-bit PCM WAV by the core.
   * {bytes, mimeType, converted, seconds, sourceSeconds, truncated}.
   */
  static async prepareAudio(audio, { maxSeconds = maximumAudioSeconds, sampleRate = defaultAudioSampleRate, coreUrl } = {}) {
    const core = await loadCore({ coreUrl });
    const bytes = await bytesOf(audio, 'the audio');
    const detected = core.detectMedia(bytes.subarray(0, mediaSniffBytes));
    if (detected.kind === 'audio' && detected.acceptedByGemini) {
      const cut = core.audioExcerpt(bytes, maxSeconds);
      const decodable = typeof (globalThis.OfflineAudioContext ?? globalThis.webkitOfflineAudioContext) === 'function';
      if (cut.ok && !(cut.value.bytes.length > maximumPassThroughAudioBytes && decodable)) {
        const { bytes: kept, mimeType, seconds, sourceSeconds, truncated } = cut.value;
        return { bytes: truncated ? kept : bytes, mimeType, converted: false, seconds, sourceSeconds, truncated };
      }
      // A damaged file is reported as such; an encoding the core does not read may still decode below.
      if (!cut.ok && (cut.error.code !== 'unsupported_media' || !decodable)) unwrap(cut);
    } else if (detected.kind !== 'unknown' && detected.kind !== 'audio') {
      throw new MosaicError('unsupported_media', `this is ${detected.format || detected.kind}, not audio`);
    }
    const decoded = await decodeAudio(bytes, sampleRate, detected);
    const keptFrames = Math.min(decoded.length, Math.floor(maxSeconds * sampleRate));
    const samples = keptFrames < decoded.length ? decoded.subarray(0, keptFrames) : decoded;
    return {
      bytes: unwrap(core.encodeWav(samples, 1, sampleRate)),
      mimeType: 'audio/wav',
      converted: true,
      seconds: keptFrames / sampleRate,
      sourceSeconds: decoded.length / sampleRate,
      truncated: keptFrames < decoded.length,
    };
  }

  /** A 16-bit PCM WAV of float samples in [-1, 1] (interleaved when channels > 1), written by the wasm core. */
  static async encodeWav(samples, { sampleRate, channels = 1, coreUrl } = {}) {
    if (typeof sampleRate !== 'number' || typeof channels !== 'number') {
      throw new MosaicError('invalid_argument', 'encodeWav needs { sampleRate } (and channels, when given) as numbers');
    }
    const core = await loadCore({ coreUrl });
    const floats = samples instanceof Float32Array ? samples : Float32Array.from(samples ?? []);
    return unwrap(core.encodeWav(floats, channels, sampleRate));
  }

  constructor(core, opened, base, options, fetchFunction, config) {
    this.#core = core;
    this.#index = opened.index;
    this.#manifest = opened.manifest;
    this.#base = base;
    this.#options = options;
    this.#fetch = fetchFunction;
    this.#store = options.storage === undefined ? defaultStore(base.href) : options.storage;
    // Same origin by default: the page's, else (Node) the index's. An opaque origin (file:) has no
    // proxy; that is reported when a query needs one, since text queries of a local-model index never do.
    const origins = [globalThis.location?.origin, base.origin].filter((origin) => origin && origin !== 'null');
    const proxy = options.proxyUrl ?? config.proxyUrl ?? origins[0];
    this.#proxyBase = proxy === undefined ? undefined : withTrailingSlash(resolveUrl(proxy, 'proxyUrl'));
    this.#modelBaseUrl = withTrailingSlash(resolveUrl(options.modelBaseUrl ?? config.modelBaseUrl ?? new URL('model/', import.meta.url).href, 'modelBaseUrl'));
    this.#modelModuleUrl = options.modelModuleUrl ? resolveUrl(options.modelModuleUrl, 'modelModuleUrl') : new URL(modelModuleName, import.meta.url);
    const shards = this.#manifest.shards;
    this.#statistics = {
      generation: this.#manifest.generation,
      items: 0,
      itemsTotal: this.#manifest.itemCount,
      shardsTotal: shards.length,
      shardsLoaded: 0,
      shardsFailed: 0,
      shardsFromNetwork: 0,  // shards with at least one file downloaded
      shardsFromStore: 0,    // shards read entirely from the store
      bytesTotal: shards.reduce((total, shard) => total + shard.bytes + shard.metadata.bytes, 0),
      bytesLoaded: 0,
      bytesFromNetwork: 0,
      bytesFromStore: 0,
      evicted: 0,            // stored files this manifest no longer names, removed at open
    };
  }

  /** The accepted manifest, as a plain object (camel-cased manifest.json fields). */
  get manifest() { return this.#manifest; }
  /** A snapshot of what was loaded, from where. */
  get stats() { return { ...this.#statistics }; }
  /** True once every shard is loaded; false while loading and after a shard failed. */
  get complete() { return this.#statistics.shardsLoaded === this.#statistics.shardsTotal; }
  /** Shards that were refused or could not be fetched, as MosaicErrors with `file`. */
  get errors() { return [...this.#errors]; }
  /** The model this index was built with; text queries are embedded by it. */
  get model() { return this.#manifest.model; }
  get usesLocalModel() { return this.#manifest.model === this.#core.localModelId; }

  /** Metadata of a loaded item (the fields of items/<hash>.json), or undefined. */
  item(id) {
    if (this.#closed) return undefined;
    return this.#index.itemById(String(id), this.#handles());
  }

  /** Metadata of every loaded item, in manifest order (for facets such as the labels an app offers as
   *  filters). The core keeps the metadata; each shard's objects are made here on the first call. */
  items() {
    if (this.#closed) return [];
    return this.#loaded.flatMap((shard) => (shard.items ??= unwrap(this.#index.items(shard.handle))));
  }

  /** Exact top-k search. `query`: a vector, {vector}, {text}, {image} or {audio}. */
  async search(query, { k = 10, filter } = {}) {
    const vector = await this.#queryVector(query);
    return this.#searchVector(vector, k, filter);
  }

  /** The query's vector as this index searches it (embedded, truncated, normalized): a page that both
   *  searches and classifies one query embeds it once and passes the vector to each. */
  async embed(query) {
    return this.#queryVector(query);
  }

  /** "More like this": the item's stored vector as the query (no embedding call); the item itself is left out. */
  async similar(itemId, { k = 10, filter } = {}) {
    this.#checkOpen();
    const vector = unwrap(this.#index.storedVector(String(itemId)));
    const exclude = [...toList(filter?.exclude), String(itemId)];
    return this.#searchVector(vector, k, { ...(filter ?? {}), exclude });
  }

  /** The kNN label vote: {label, known, confidence, votes, considered, neighbours, partial}; label 'unknown' when no neighbour is close enough. */
  async classify(query, { k = 5, threshold = 0, filter } = {}) {
    const vector = await this.#queryVector(query);
    this.#checkOpen();
    const vote = unwrap(this.#index.classify(vector, this.#handles(), k, threshold, filter ?? null));
    return {
      label: vote.known ? vote.label : 'unknown',
      known: vote.known,
      confidence: vote.confidence,
      votes: vote.votes,
      considered: vote.considered,
      neighbours: vote.neighbours.map((hit) => this.#result(hit)),
      partial: !this.complete,
    };
  }

  /** Resolves when every shard has loaded or failed and loaded shards are written to the store: {shardsLoaded, shardsFailed, errors}. Never rejects. */
  get ready() { return this.#ready; }

  /** Frees the wasm memory of every shard and stops watching. The instance cannot search afterwards. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching?.();
    this.#index.delete();
    this.#loaded = [];
  }

  // ---- keeping up with new generations ----

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
    if (this.#closed) return Promise.reject(new MosaicError('invalid_argument', 'this index was closed'));
    this.#refreshing ??= this.#refreshOnce().finally(() => { this.#refreshing = undefined; });
    return this.#refreshing;
  }

  /**
   * Keeps this index current: listens to the server's /api/events (mosaic serve) and refreshes on each
   * event; where there is no such route (a static host) it polls the manifest every `pollInterval` ms
   * (60 s) instead, and in a page also whenever the page becomes visible. `onUpdate` gets each refresh
   * that changed something, `onError` each failed one. Returns a function that stops watching (close() does too).
   */
  watch({ onUpdate, onError, eventsUrl, pollInterval = 60000 } = {}) {
    this.#checkOpen();
    this.#stopWatching?.();
    const controller = new AbortController();
    const timers = new Set();
    const report = onError ?? this.#options.onError;
    // An event that arrives while a refresh is under way may name a manifest newer than the one that
    // refresh fetched: one more refresh follows it then.
    let running = false;
    let again = false;
    const update = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          if (controller.signal.aborted || this.#closed) return;
          try {
            const outcome = await this.refresh();
            if (outcome.changed && !controller.signal.aborted) onUpdate?.(outcome);
          } catch (error) {
            if (!controller.signal.aborted) report?.(error);
          }
        } while (again);
      } finally {
        running = false;
      }
    };
    const later = (action, milliseconds) => {
      const timer = setTimeout(() => { timers.delete(timer); action(); }, milliseconds);
      timer.unref?.();  // under Node, watching never keeps a process alive
      timers.add(timer);
    };
    const poll = () => {
      update().finally(() => { if (!controller.signal.aborted) later(poll, pollInterval); });
    };
    const events = eventsUrl ? resolveUrl(eventsUrl, 'eventsUrl') : new URL('/api/events', this.#base);
    let retryDelay = 1000;
    const listen = async () => {
      let response;
      try {
        response = await this.#fetch(events.href, { headers: { accept: 'text/event-stream' }, cache: 'no-store', signal: controller.signal });
      } catch {
        if (controller.signal.aborted) return;
        // The server is away (restarting?): try again, longer each time, and look at the manifest meanwhile.
        later(listen, retryDelay);
        retryDelay = Math.min(retryDelay * 2, pollInterval);
        return;
      }
      if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
        response.body?.cancel?.().catch(() => {});
        later(poll, 0);  // no events here (a static host): polling it is
        return;
      }
      retryDelay = 1000;
      try {
        // Every event (the first one on connect, then one per new generation) is a reason to look:
        // an unchanged manifest costs a 304.
        for await (const event of serverSentEvents(response.body)) {
          if (event.type === 'generation') update();
        }
      } catch {
        // the stream broke: reconnect below
      }
      if (!controller.signal.aborted) later(listen, retryDelay);
    };
    const onVisible = () => { if (globalThis.document?.visibilityState === 'visible') update(); };
    globalThis.document?.addEventListener?.('visibilitychange', onVisible);
    listen();
    const stop = () => {
      controller.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      globalThis.document?.removeEventListener?.('visibilitychange', onVisible);
      if (this.#stopWatching === stop) this.#stopWatching = undefined;
    };
    this.#stopWatching = stop;
    return stop;
  }

  async #refreshOnce() {
    // The current generation's loading settles first: its shards are the ones a new one may keep.
    await this.#ready;
    this.#checkOpen();
    const manifestUrl = new URL('manifest.json', this.#base);
    const itemsBefore = this.#statistics.items;
    const unchanged = () => ({ changed: false, generation: this.#manifest.generation, previousGeneration: this.#manifest.generation,
      added: [], removed: [], kept: this.#loaded.length, bytes: 0, shardsFromStore: 0, items: itemsBefore, itemsBefore });
    const fetched = await fetchManifest(this.#fetch, manifestUrl, this.#manifestEtag);
    this.#checkOpen();
    if (fetched.notModified) return unchanged();
    if (fetched.text === this.#manifestText) {
      this.#manifestEtag = fetched.etag;
      return unchanged();
    }
    const opened = this.#core.openIndex(fetched.text);
    if (!opened.ok) throw new MosaicError(opened.error.code, `${manifestUrl.href}: ${opened.error.message}`);
    const next = opened.value;
    let swapped = false;
    try {
      const outcome = await this.#loadGeneration(next);
      this.#checkOpen();
      this.#swapIn(next, outcome.kept, outcome.loaded);
      swapped = true;
      this.#manifestText = fetched.text;
      this.#manifestEtag = fetched.etag;
      this.#statistics.bytesFromNetwork += outcome.bytes;
      const keeping = outcome.loaded.filter((shard) => shard.fromNetwork && this.#store).map((shard) => this.#keep(shard.entry, shard.shardBytes, shard.metadataBytes));
      await Promise.all([...keeping, this.#evictUnnamed()]);
      const named = new Set(next.manifest.shards.map((shard) => shard.file));
      return {
        changed: true,
        generation: next.manifest.generation,
        previousGeneration: outcome.previous.generation,
        added: outcome.loaded.map((shard) => shard.entry.file),
        removed: outcome.previous.shards.map((shard) => shard.file).filter((file) => !named.has(file)),
        kept: outcome.kept.size,
        bytes: outcome.bytes,
        shardsFromStore: outcome.loaded.filter((shard) => !shard.fromNetwork).length,
        items: this.#statistics.items,
        itemsBefore,
      };
    } finally {
      if (!swapped) next.index.delete();
    }
  }

  // Loads the shards of `next` that the open index does not hold into next.index (nothing is
  // swapped yet). Throws the first refusal or failed download.
  async #loadGeneration(next) {
    const previous = this.#manifest;
    const sameShape = next.manifest.dimensions === previous.dimensions && next.manifest.quantization === previous.quantization;
    const keyOf = (shard) => `${shard.hash} ${shard.metadata.hash} ${shard.items}`;
    const held = new Map();
    if (sameShape) for (const entry of this.#loaded) held.set(keyOf(previous.shards[entry.position]), entry);
    const kept = new Map();  // position in next -> the open index's entry
    const wanted = [];
    next.manifest.shards.forEach((shard, position) => {
      const entry = held.get(keyOf(shard));
      if (entry) {
        kept.set(position, entry);
        held.delete(keyOf(shard));  // a file named twice is kept once, loaded the second time
      } else {
        wanted.push(position);
      }
    });
    const loaded = [];
    let bytes = 0;
    let cursor = 0;
    const worker = async () => {
      while (cursor < wanted.length) {
        const position = wanted[cursor++];
        const entry = next.manifest.shards[position];
        const count = (received) => { bytes += received; };
        const read = await this.#readShard(entry, (shard, metadata) => next.index.addShard(position, shard, metadata), count);
        if (!read.accepted.ok) throw new MosaicError(read.accepted.error.code, read.accepted.error.message, { file: entry.file });
        const { handle, itemCount } = read.accepted.value;
        loaded.push(read.fromStore
          ? { position, entry, handle, fromNetwork: false, itemCount }
          : { position, entry, handle, fromNetwork: true, itemCount, shardBytes: read.shardBytes, metadataBytes: read.metadataBytes });
      }
    };
    const concurrency = Math.max(1, Math.min(this.#options.concurrency ?? defaultConcurrency, wanted.length));
    // All workers finish (none is left writing into next.index) before a failure is thrown.
    const settled = await Promise.allSettled(Array.from({ length: concurrency }, worker));
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return { previous, kept, loaded, bytes };
  }

  // Synchronous, so no search sees half of it: the kept shards move into the new index (the core
  // checks each is the file the new manifest names), the new index and manifest replace the old ones,
  // and the old index is freed with the shards only it named.
  #swapIn(next, kept, loaded) {
    const moved = [];
    for (const [position, entry] of kept) {
      const adopted = next.index.adoptShard(position, this.#index, entry.handle);
      if (!adopted.ok) {
        // Not expected (the keys matched): put back what moved, and leave the open index as it was.
        for (const back of moved) this.#index.adoptShard(back.entry.position, next.index, back.handle);
        throw new MosaicError(adopted.error.code, adopted.error.message);
      }
      moved.push({ position, entry, handle: adopted.value.handle, itemCount: adopted.value.itemCount });
    }
    const previousIndex = this.#index;
    this.#index = next.index;
    this.#manifest = next.manifest;
    this.#loaded = [...moved, ...loaded]
      .map(({ position, handle }) => ({ position, handle, items: undefined }))
      .sort((left, right) => left.position - right.position);
    previousIndex.delete();
    this.#errors = [];
    const shards = next.manifest.shards;
    const statistics = this.#statistics;
    const items = [...moved, ...loaded].reduce((total, shard) => total + shard.itemCount, 0);
    Object.assign(statistics, {
      generation: next.manifest.generation,
      items,
      itemsTotal: next.manifest.itemCount,
      shardsTotal: shards.length,
      shardsLoaded: this.#loaded.length,
      shardsFailed: 0,
      bytesTotal: shards.reduce((total, shard) => total + shard.bytes + shard.metadata.bytes, 0),
    });
    statistics.bytesLoaded = statistics.bytesTotal;
    statistics.refreshes = (statistics.refreshes ?? 0) + 1;
  }

  // ---- loading ----

  #ready;
  #storing = [];  // store writes under way (promises that never reject)

  async #startLoading() {
    await this.#evictUnnamed();
    const shards = this.#manifest.shards;
    let firstLoaded;
    const firstSearchable = new Promise((resolve) => { firstLoaded = resolve; });
    let next = 0;
    const worker = async () => {
      while (next < shards.length && !this.#closed) {
        const position = next++;
        await this.#loadShard(position);
        if (this.#statistics.shardsLoaded > 0 || this.#settled === shards.length) firstLoaded();
      }
    };
    const concurrency = Math.max(1, Math.min(this.#options.concurrency ?? defaultConcurrency, shards.length));
    this.#ready = Promise.all(Array.from({ length: concurrency }, worker)).then(async () => {
      firstLoaded();
      await Promise.all(this.#storing);  // #keep never rejects
      return { shardsLoaded: this.#statistics.shardsLoaded, shardsFailed: this.#statistics.shardsFailed, errors: this.errors };
    });
    if (shards.length === 0) return;
    await firstSearchable;
    if (this.#statistics.shardsLoaded === 0) throw this.#errors[0];
  }

  async #evictUnnamed() {
    if (!this.#store) return;
    const named = new Set(this.#manifest.shards.flatMap((shard) => [shard.hash, shard.metadata.hash]));
    try {
      for (const hash of await this.#store.keys()) {
        if (named.has(hash)) continue;
        await this.#store.delete(hash);
        this.#statistics.evicted += 1;
      }
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not be cleaned: ${cause.message}`));
    }
  }

  #progress() {
    const statistics = this.#statistics;
    this.#options.onProgress?.({
      loadedBytes: statistics.bytesLoaded,
      totalBytes: statistics.bytesTotal,
      shardsLoaded: statistics.shardsLoaded,
      shardsFailed: statistics.shardsFailed,
      shardsTotal: statistics.shardsTotal,
    });
  }

  #report(error) {
    this.#options.onError?.(error);
  }

  async #fromStore(hash) {
    if (!this.#store) return undefined;
    try {
      return await this.#store.get(hash);
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not read ${hash}: ${cause.message}`));
      return undefined;
    }
  }

  async #loadShard(position) {
    const entry = this.#manifest.shards[position];
    const onBytes = (count) => {
      this.#statistics.bytesLoaded += count;
      this.#statistics.bytesFromNetwork += count;
      this.#progress();
    };
    try {
      const read = await this.#readShard(entry, (shard, metadata) => this.#accept(position, shard, metadata), onBytes,
        () => this.#closed);
      if (!read) return;
      const { accepted, shardBytes, metadataBytes } = read;
      if (read.fromStore) {
        this.#statistics.shardsFromStore += 1;
        this.#statistics.bytesFromStore += shardBytes.length + metadataBytes.length;
        this.#statistics.bytesLoaded += shardBytes.length + metadataBytes.length;
        this.#register(position, accepted.value);
        return;
      }
      this.#statistics.shardsFromNetwork += 1;
      if (!accepted.ok) throw new MosaicError(accepted.error.code, accepted.error.message);
      this.#register(position, accepted.value);
      // Kept in the store off the loading path: the next shard downloads while this one is written
      // (a Cache API write of a shard took about as long as its download). `ready` waits for the writes.
      if (this.#store) this.#storing.push(this.#keep(entry, shardBytes, metadataBytes));
    } catch (cause) {
      const error = cause instanceof MosaicError ? cause : new MosaicError('network_error', `${entry.file}: ${cause.message}`);
      error.file = entry.file;
      this.#statistics.shardsFailed += 1;
      this.#errors.push(error);
      this.#report(error);
      this.#progress();
    } finally {
      this.#settled += 1;
    }
  }

  // A shard and its metadata given to `addShard` (the core's checks and insert, into the open index or
  // a next generation's): from the store when it holds both and the core accepts them (a damaged stored
  // copy is reported, dropped and fetched again), else downloaded. {accepted (the core's outcome),
  // fromStore, shardBytes, metadataBytes}; a failed download throws (network_error unless it is a
  // MosaicError already); undefined once `isClosed()` is true, with nothing added.
  async #readShard(entry, addShard, onBytes, isClosed = () => false) {
    const [storedShard, storedMetadata] = await Promise.all([this.#fromStore(entry.hash), this.#fromStore(entry.metadata.hash)]);
    if (isClosed()) return undefined;
    if (storedShard && storedMetadata) {
      const accepted = addShard(storedShard, storedMetadata);
      if (accepted.ok) return { accepted, fromStore: true, shardBytes: storedShard, metadataBytes: storedMetadata };
      this.#report(new MosaicError('storage_error', `stored copy of ${entry.file} refused (${accepted.error.code}); fetching it again`));
      await Promise.allSettled([this.#store.delete(entry.hash), this.#store.delete(entry.metadata.hash)]);
    }
    let shardBytes;
    let metadataBytes;
    try {
      [shardBytes, metadataBytes] = await Promise.all([
        download(this.#fetch, new URL(entry.file, this.#base), entry.bytes, onBytes),
        download(this.#fetch, new URL(entry.metadata.file, this.#base), entry.metadata.bytes, onBytes),
      ]);
    } catch (cause) {
      const error = cause instanceof MosaicError ? cause : new MosaicError('network_error', `${entry.file}: ${cause.message}`);
      error.file = entry.file;
      throw error;
    }
    if (isClosed()) return undefined;
    return { accepted: addShard(shardBytes, metadataBytes), fromStore: false, shardBytes, metadataBytes };
  }

  async #keep(entry, shardBytes, metadataBytes) {
    try {
      await Promise.all([this.#store.put(entry.hash, shardBytes), this.#store.put(entry.metadata.hash, metadataBytes)]);
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not keep ${entry.file}: ${cause.message}`));
    }
  }

  #accept(position, shardBytes, metadataBytes) {
    return this.#index.addShard(position, shardBytes, metadataBytes);
  }

  #register(position, { handle, itemCount }) {
    const at = this.#loaded.findIndex((shard) => shard.position > position);
    this.#loaded.splice(at === -1 ? this.#loaded.length : at, 0, { position, handle, items: undefined });
    this.#statistics.items += itemCount;
    this.#statistics.shardsLoaded += 1;
    this.#progress();
  }

  // ---- searching ----

  #checkOpen() {
    if (this.#closed) throw new MosaicError('invalid_argument', 'this index was closed');
  }

  #handles() { return this.#loaded.map((shard) => shard.handle); }

  #result(hit) {
    const item = this.#index.itemAt(hit.shard, hit.row);
    const result = { id: hit.id, score: hit.score, item };
    if (item?.thumbnail) result.thumbnailUrl = new URL(item.thumbnail, this.#base).href;
    if (item?.media) result.mediaUrl = new URL(item.media, this.#base).href;
    return result;
  }

  #searchVector(vector, k, filter) {
    this.#checkOpen();
    const started = now();
    const hits = unwrap(this.#index.search(vector, this.#handles(), k, filter ?? null));
    return {
      results: hits.map((hit) => this.#result(hit)),
      partial: !this.complete,
      shardsSearched: this.#loaded.length,
      shardsTotal: this.#statistics.shardsTotal,
      milliseconds: now() - started,
    };
  }

  async #queryVector(query) {
    this.#checkOpen();
    if (Array.isArray(query) || query instanceof Float32Array || query instanceof Float64Array) {
      return unwrap(this.#index.prepareQuery(query));
    }
    if (query && typeof query === 'object') {
      if (query.vector !== undefined) return unwrap(this.#index.prepareQuery(query.vector));
      if (query.text !== undefined) return this.#embedText(query.text);
      if (query.image !== undefined) return this.#embedImage(query.image);
      if (query.audio !== undefined) return this.#embedAudio(query.audio);
    }
    throw new MosaicError('invalid_argument', 'a query is a vector (Float32Array or array), {vector}, {text}, {image} or {audio}');
  }

  async #embedText(text) {
    if (typeof text !== 'string') throw new MosaicError('invalid_argument', 'query.text must be a string');
    if (!this.usesLocalModel) return this.#embedRemote([{ text }]);
    const model = await loadLocalModel({ modelModuleUrl: this.#modelModuleUrl, modelBaseUrl: this.#modelBaseUrl, fetchFunction: this.#fetch });
    this.#checkOpen();
    // The model reads NFKC text, as its reference does (the native side normalizes with ICU).
    const embedded = model.embed(text.normalize('NFKC'));
    if (!embedded.ok) throw new MosaicError(embedded.error.code, embedded.error.message);
    return unwrap(this.#index.prepareQuery(embedded.vector));
  }

  #refuseMediaWithLocalModel(kind) {
    if (!this.usesLocalModel) return;
    throw new MosaicError('unsupported_media', `this index was built with the local text model (${this.#manifest.model}), ` +
      `which embeds text only: search it by text, by vector or with "more like this", not by ${kind}`);
  }

  // As the proxy and the indexer do: decoding proves the pixels are whole, and only an image larger
  // than needed, or in a format Gemini does not take (GIF, BMP, ...), is sent re-encoded as JPEG.
  async #embedImage(image) {
    this.#refuseMediaWithLocalModel('image');
    const bytes = await bytesOf(image, 'query.image');
    const prepared = unwrap(this.#core.prepareImage(bytes, this.#options.imageMaxSide ?? defaultImageMaxSide, 85));
    const detected = this.#core.detectMedia(bytes.subarray(0, mediaSniffBytes));
    const asItIs = !prepared.resized && detected.kind === 'image' && detected.acceptedByGemini;
    const part = asItIs ? { mime_type: detected.mimeType, data: toBase64(bytes) } : { mime_type: prepared.mimeType, data: toBase64(prepared.bytes) };
    return this.#embedRemote([part]);
  }

  async #embedAudio(audio) {
    this.#refuseMediaWithLocalModel('audio');
    let prepared;
    try {
      prepared = await Mosaic.prepareAudio(await bytesOf(audio, 'query.audio'), { coreUrl: this.#options.coreUrl });
    } catch (error) {
      if (error instanceof MosaicError) error.message = `query.audio: ${error.message}`;
      throw error;
    }
    return this.#embedRemote([{ mime_type: prepared.mimeType, data: toBase64(prepared.bytes) }]);
  }

  // POST /api/embed on the proxy (README, "mosaic serve and its HTTP API"): the API key stays there.
  async #embedRemote(parts) {
    if (!this.#proxyBase) {
      throw new MosaicError('invalid_argument', `this index (model ${this.#manifest.model}) needs an embedding proxy for queries: pass options.proxyUrl or set proxyUrl in config.json`);
    }
    const url = new URL('api/embed', this.#proxyBase);
    const body = JSON.stringify({ inputs: [{ parts }], task: 'query', dimensions: this.#manifest.dimensions });
    const response = await fetchResponse(this.#fetch, url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    let answer;
    try {
      answer = await response.json();
    } catch {
      throw new MosaicError('network_error', `${url.href}: HTTP ${response.status}, not a JSON answer`, { status: response.status });
    }
    if (!response.ok) {
      const error = answer?.error ?? {};
      throw new MosaicError(error.code ?? 'network_error', error.message ?? `${url.href}: HTTP ${response.status}`, { status: response.status });
    }
    if (answer.model !== undefined && answer.model !== this.#manifest.model) {
      throw new MosaicError('model_mismatch', `${url.href} embeds with ${answer.model}, but this index was built with ${this.#manifest.model}`);
    }
    const vector = answer.embeddings?.[0];
    if (!Array.isArray(vector)) throw new MosaicError('network_error', `${url.href}: the answer has no embedding`);
    this.#checkOpen();
    return unwrap(this.#index.prepareQuery(vector));
  }
}

// Decodes audio with Web Audio, resampled to `sampleRate` (decodeAudioData resamples to its context's
// rate) and mixed down to mono by rendering through a one-channel context. Browsers only: Node has no
// Web Audio, so there only WAV and MP3 can be queried.
async function decodeAudio(bytes, sampleRate, detected) {
  const OfflineContext = globalThis.OfflineAudioContext ?? globalThis.webkitOfflineAudioContext;
  const found = detected.kind === 'audio' ? detected.format : 'an unrecognized format';
  if (typeof OfflineContext !== 'function') {
    throw new MosaicError('unsupported_media', `audio in ${found} must be decoded first, which needs Web Audio (a browser); WAV and MP3 are taken as they are`);
  }
  let decoded;
  try {
    // decodeAudioData detaches the buffer it is given: hand it a copy.
    decoded = await new OfflineContext(1, 1, sampleRate).decodeAudioData(bytes.slice().buffer);
  } catch (cause) {
    throw new MosaicError('unsupported_media', `this browser cannot decode the audio (${found}): ${cause?.message ?? cause}`);
  }
  if (decoded.length === 0) throw new MosaicError('invalid_media', 'the audio holds no samples');
  if (decoded.numberOfChannels === 1 && decoded.sampleRate === sampleRate) return decoded.getChannelData(0);
  const mono = new OfflineContext(1, Math.ceil(decoded.length * sampleRate / decoded.sampleRate), sampleRate);
  const source = mono.createBufferSource();
  source.buffer = decoded;
  source.connect(mono.destination);
  source.start();
  return (await mono.startRendering()).getChannelData(0);
}

// Server-Sent Events from a fetch body (EventSource is missing under Node, and cannot be aborted with
// the rest): yields {type, data} for each event; comments (heartbeats) are skipped.
async function* serverSentEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      pending += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        let type = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0) yield { type, data: data.join('\n') };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function toList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

// config.json beside the manifest (written by `mosaic export`): {proxyUrl, modelBaseUrl}. Optional:
// no file (any HTTP error, or the HTML page that single-page-app hosts answer for every path) means
// no settings; a file that is there but is not a JSON object is an error, not something to guess around.
async function readConfig(fetchFunction, base) {
  const url = new URL('config.json', base);
  let text;
  if (url.protocol === 'file:') {
    try {
      text = utf8.decode(await readFileUrl(url));
    } catch {
      return {};
    }
  } else {
    let response;
    try {
      response = await fetchFunction(url.href, { cache: 'no-cache' });
    } catch {
      return {};  // the manifest's own fetch reports an unreachable host
    }
    if (!response.ok || (response.headers.get('content-type') ?? '').startsWith('text/html')) return {};
    text = await response.text();
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (cause) {
    throw new MosaicError('invalid_json', `${url.href}: ${cause.message}`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new MosaicError('invalid_json', `${url.href} must hold a JSON object`);
  const resolved = {};
  for (const key of ['proxyUrl', 'modelBaseUrl']) {
    if (config[key] === undefined) continue;
    if (typeof config[key] !== 'string') throw new MosaicError('invalid_json', `${url.href}: ${key} must be a string`);
    // Relative addresses in config.json are relative to it, not to the page.
    resolved[key] = new URL(config[key], url).href;
  }
  return resolved;
}

export default Mosaic;
