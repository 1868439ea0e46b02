// Shard stores: files kept by content hash, so nothing is downloaded twice. A store is
// { get(hash) -> Uint8Array | undefined, put(hash, bytes), delete(hash), keys() -> hashes }, every
// method async. Only bytes the core has accepted are put; bytes read back are checked again
// (shard_source.mjs), so a store needs no integrity of its own.
import { resolveUrl, withTrailingSlash } from './urls.mjs';

/**
 * @typedef {object} ShardStore
 * @property {string} [kind]  memory, cache or indexeddb, for the built-in ones
 * @property {(hash: string) => Promise<Uint8Array | undefined>} get
 * @property {(hash: string, bytes: Uint8Array) => Promise<void>} put
 * @property {(hash: string) => Promise<void>} delete
 * @property {() => Promise<string[]>} keys
 */

/** @returns {ShardStore} */
export function memoryStore() {
  /** @type {Map<string, Uint8Array>} */
  const files = new Map();
  return {
    kind: 'memory',
    async get(hash) { return files.get(hash); },
    async put(hash, bytes) { files.set(hash, bytes.slice()); },
    async delete(hash) { files.delete(hash); },
    async keys() { return [...files.keys()]; },
  };
}

/**
 * The Cache API (pages and workers). Keys are synthetic URLs: the cache never goes to the network.
 * @param {string} name
 * @returns {ShardStore}
 */
export function cacheStore(name) {
  const keyOf = (/** @type {string} */ hash) => `https://mosaic.invalid/files/${hash}`;
  /** @type {Promise<Cache> | undefined} */
  let opened;
  const cache = () => (opened ??= globalThis.caches.open(name));
  return {
    kind: 'cache',
    async get(hash) {
      const response = await (await cache()).match(keyOf(hash));
      return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
    async put(hash, bytes) {
      // The bytes are the core's or a download's, never a SharedArrayBuffer's: what Response takes.
      const body = /** @type {Uint8Array<ArrayBuffer>} */ (bytes);
      await (await cache()).put(keyOf(hash), new Response(body, { headers: { 'content-type': 'application/octet-stream' } }));
    },
    async delete(hash) { await (await cache()).delete(keyOf(hash)); },
    async keys() {
      const requests = await (await cache()).keys();
      return requests.map((request) => new URL(request.url).pathname.split('/').pop() ?? '');
    },
  };
}

/**
 * IndexedDB, where the Cache API is missing (some private modes, older engines).
 * @param {string} name
 * @returns {ShardStore}
 */
export function indexedDbStore(name) {
  /** @type {Promise<IDBDatabase> | undefined} */
  let opened;
  const database = () => (opened ??= new Promise((resolve, reject) => {
    const request = globalThis.indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('files');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }));
  /**
   * @template T
   * @param {IDBTransactionMode} mode
   * @param {(files: IDBObjectStore) => IDBRequest<T>} action
   * @returns {Promise<T>}
   */
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

/** @type {Map<string, ShardStore>} */
const processMemoryStores = new Map();

/**
 * The Cache API in a page, else IndexedDB, else (Node) one memory store per index for this process.
 * @param {string | URL} baseUrl  the index's folder; each index has a store of its own
 * @returns {ShardStore}
 */
export function defaultStore(baseUrl) {
  const name = `mosaic ${withTrailingSlash(resolveUrl(baseUrl, 'baseUrl')).href}`;
  if (globalThis.caches && typeof globalThis.caches.open === 'function') return cacheStore(name);
  if (globalThis.indexedDB && typeof globalThis.indexedDB.open === 'function') return indexedDbStore(name);
  let store = processMemoryStores.get(name);
  if (!store) {
    store = memoryStore();
    processMemoryStores.set(name, store);
  }
  return store;
}
