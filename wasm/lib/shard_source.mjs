// Where a shard's bytes come from: the shard store when it holds them and the core accepts them,
// else the network; and the store kept in step with the manifest (accepted downloads put, files no
// manifest names any more evicted). A store that fails is reported (storage_error) and worked around,
// never fatal: the network still has every file.
import { MosaicError, messageOf, shardError } from './errors.mjs';
import { download, fetchRange } from './fetching.mjs';
import { vectorHashesOf } from './vector_files.mjs';

/**
 * @typedef {import('./fetching.mjs').FetchFunction} FetchFunction
 * @typedef {import('./stores.mjs').ShardStore} ShardStore
 * @typedef {import('./loaded_generation.mjs').ManifestShard} ManifestShard
 * @typedef {import('./loaded_generation.mjs').Manifest} Manifest
 * @typedef {import('./loaded_generation.mjs').AddOutcome} AddOutcome
 * @typedef {{ accepted: AddOutcome, fromStore: boolean, shardBytes: Uint8Array, metadataBytes: Uint8Array }} ShardRead
 */

/**
 * The store's key of bytes [start, end) of the file with content hash `hash`: a piece of a partition
 * fetched by a Range request (its head, or a run of rows). The hash names the bytes, the range the
 * piece of them, so a piece is never confused with another file's or another range's.
 * @param {string} hash
 * @param {number} start
 * @param {number} end  exclusive
 */
export function pieceKey(hash, start, end) {
  return `${hash}@${start}-${end}`;
}

/** The end of the "piece" storedPieces lists for a file stored whole. */
export const wholeFile = Number.MAX_SAFE_INTEGER;

/** @param {string} key  a stored file's hash, or a piece's key: {hash, start?, end?} */
function parseKey(key) {
  const piece = /^([0-9a-f]+)@(\d+)-(\d+)$/.exec(key);
  return piece ? { hash: piece[1], start: Number(piece[2]), end: Number(piece[3]) } : { hash: key };
}

export class ShardSource {
  #store;
  #fetch;
  #base;
  #report;
  /** @type {Promise<Map<string, [number, number][]>> | undefined} stored pieces by file hash, listed once */
  #pieces;

  /**
   * @param {{ store: ShardStore | null, fetchFunction: FetchFunction, base: URL, report: (error: MosaicError) => void }} settings
   */
  constructor({ store, fetchFunction, base, report }) {
    this.#store = store;
    this.#fetch = fetchFunction;
    this.#base = base;
    this.#report = report;
  }

  /** True when downloads are kept (there is a store). */
  get keeps() { return Boolean(this.#store); }

  /**
   * A shard and its metadata given to `addShard` (the core's checks and insert, into the open index or
   * a next generation's): from the store when it holds both and the core accepts them (a damaged
   * stored copy is reported, dropped and fetched again), else downloaded. Resolves with the core's
   * outcome and the bytes; a failed download throws (network_error unless it is a MosaicError
   * already, with `file`); undefined once `isClosed()` is true, with nothing added.
   * @param {ManifestShard} entry
   * @param {(shardBytes: Uint8Array, metadataBytes: Uint8Array) => AddOutcome} addShard
   * @param {(count: number) => void} onBytes  told of each downloaded chunk
   * @param {() => boolean} [isClosed]
   * @returns {Promise<ShardRead | undefined>}
   */
  async read(entry, addShard, onBytes, isClosed = () => false) {
    const [storedShard, storedMetadata] = await Promise.all([this.#fromStore(entry.hash), this.#fromStore(entry.metadata.hash)]);
    if (isClosed()) return undefined;
    if (this.#store && storedShard && storedMetadata) {
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
      throw shardError(cause, entry.file);
    }
    if (isClosed()) return undefined;
    return { accepted: addShard(shardBytes, metadataBytes), fromStore: false, shardBytes, metadataBytes };
  }

  /**
   * One file (the centroid table) given to `accept` (the core's checks): from the store when it holds
   * it and the core accepts it, else downloaded, accepted and kept. Throws the core's refusal or a
   * failed download.
   * @param {{ hash: string, file: string, bytes: number }} entry
   * @param {(bytes: Uint8Array) => void} accept  throws a MosaicError when the core refuses the bytes
   * @param {(count: number) => void} onBytes
   */
  async readFile(entry, accept, onBytes) {
    const stored = await this.#fromStore(entry.hash);
    if (this.#store && stored) {
      try {
        accept(stored);
        return;
      } catch (refused) {
        this.#report(new MosaicError('storage_error', `stored copy of ${entry.file} refused (${messageOf(refused)}); fetching it again`));
        await Promise.allSettled([this.#store.delete(entry.hash)]);
      }
    }
    let bytes;
    try {
      bytes = await download(this.#fetch, new URL(entry.file, this.#base), entry.bytes, onBytes);
    } catch (cause) {
      throw shardError(cause, entry.file);
    }
    accept(bytes);
    if (!this.#store) return;
    try {
      await this.#store.put(entry.hash, bytes);
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not keep ${entry.file}: ${messageOf(cause)}`));
    }
  }

  /**
   * Puts a downloaded shard the core accepted into the store. Never rejects: a failure is reported.
   * @param {ManifestShard} entry
   * @param {Uint8Array} shardBytes
   * @param {Uint8Array} metadataBytes
   */
  async keep(entry, shardBytes, metadataBytes) {
    if (!this.#store) return;
    try {
      await Promise.all([this.#store.put(entry.hash, shardBytes), this.#store.put(entry.metadata.hash, metadataBytes)]);
      if (this.#pieces) {
        const pieces = await this.#pieces;
        pieces.set(entry.hash, [...(pieces.get(entry.hash) ?? []), [0, wholeFile]]);
      }
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not keep ${entry.file}: ${messageOf(cause)}`));
    }
  }

  /**
   * Bytes [start, end) of a vector file (fetching.mjs, fetchRange): {partial: false} with the whole
   * file when the host ignores Range. A failed download throws (with `file`).
   * @param {{ file: string, bytes: number }} entry
   * @param {number} start
   * @param {number} end
   * @param {(count: number) => void} onBytes
   */
  async fetchRange(entry, start, end, onBytes) {
    try {
      return await fetchRange(this.#fetch, new URL(entry.file, this.#base), start, end, entry.bytes, onBytes);
    } catch (cause) {
      throw shardError(cause, entry.file);
    }
  }

  /**
   * A whole file from the network (a partition's item metadata fetched beside its head).
   * @param {{ file: string, bytes: number }} entry
   * @param {(count: number) => void} onBytes
   */
  async download(entry, onBytes) {
    try {
      return await download(this.#fetch, new URL(entry.file, this.#base), entry.bytes, onBytes);
    } catch (cause) {
      throw shardError(cause, entry.file);
    }
  }

  /**
   * A stored file by its hash, or a stored piece (pieceKey); undefined when the store has none.
   * @param {string} key
   */
  async stored(key) {
    return this.#fromStore(key);
  }

  /**
   * The stored pieces [start, end) of the file with content hash `hash` (the store is listed once); a
   * file stored whole is the piece [0, wholeFile).
   * @param {string} hash
   * @returns {Promise<[number, number][]>}
   */
  async storedPieces(hash) {
    if (!this.#store) return [];
    const store = this.#store;
    this.#pieces ??= (async () => {
      /** @type {Map<string, [number, number][]>} */
      const pieces = new Map();
      try {
        for (const key of await store.keys()) {
          const { hash: file, start = 0, end = wholeFile } = parseKey(key);
          pieces.set(file, [...(pieces.get(file) ?? []), [start, end]]);
        }
      } catch (cause) {
        this.#report(new MosaicError('storage_error', `the shard store could not be listed: ${messageOf(cause)}`));
      }
      return pieces;
    })();
    return (await this.#pieces).get(hash) ?? [];
  }

  /**
   * Keeps bytes the core accepted under `key` (a file's hash or a piece's key). Never rejects.
   * @param {string} key
   * @param {Uint8Array} bytes
   */
  async keepBytes(key, bytes) {
    if (!this.#store) return;
    try {
      await this.#store.put(key, bytes);
      if (this.#pieces) {
        const { hash: file, start = 0, end = wholeFile } = parseKey(key);
        const pieces = await this.#pieces;
        pieces.set(file, [...(pieces.get(file) ?? []), [start, end]]);
      }
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not keep ${key}: ${messageOf(cause)}`));
    }
  }

  /**
   * Forgets a stored file or piece the core refused. Never rejects.
   * @param {string} key
   */
  async forget(key) {
    if (!this.#store) return;
    await Promise.allSettled([this.#store.delete(key)]);
    if (this.#pieces) {
      const { hash: file, start = 0, end = wholeFile } = parseKey(key);
      const pieces = await this.#pieces;
      pieces.set(file, (pieces.get(file) ?? []).filter(([pieceStart, pieceEnd]) => pieceStart !== start || pieceEnd !== end));
    }
  }

  /**
   * Deletes the stored files `manifest` does not name. Never rejects: a failure is reported.
   * @param {Manifest} manifest
   * @returns {Promise<number>} the files deleted (up to a failure)
   */
  async evictUnnamed(manifest) {
    if (!this.#store) return 0;
    const named = vectorHashesOf(manifest);
    let evicted = 0;
    try {
      for (const key of await this.#store.keys()) {
        // Pieces (pieceKey) live as long as the file they are part of.
        if (named.has(parseKey(key).hash)) continue;
        await this.#store.delete(key);
        evicted += 1;
      }
      this.#pieces = undefined;
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not be cleaned: ${messageOf(cause)}`));
    }
    return evicted;
  }

  /** @param {string} hash */
  async #fromStore(hash) {
    if (!this.#store) return undefined;
    try {
      return await this.#store.get(hash);
    } catch (cause) {
      this.#report(new MosaicError('storage_error', `the shard store could not read ${hash}: ${messageOf(cause)}`));
      return undefined;
    }
  }
}
