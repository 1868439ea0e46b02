// One generation of an index as the wasm core holds it: the core's LoadedIndex for one manifest and
// the shards loaded into it so far. This is the only file that calls the LoadedIndex (openIndex,
// addShard, adoptShard, query, itemById, items, storedVector, prepareQuery, setKeywordDirectory,
// termFilesNeeded, addTermFile, setCentroids, addPartition, addPartitionHead, addPartitionRows, partitionsToProbe,
// releaseShard, delete), so a change of
// the binding's API touches this file alone.
import { MosaicError, unwrap } from './errors.mjs';

/**
 * manifest.json as accepted by the core, camel-cased (mosaic.d.ts, Manifest).
 * @typedef {import('../mosaic').Manifest} Manifest
 * @typedef {import('../mosaic').ManifestShard} ManifestShard
 * @typedef {import('../mosaic').Filter} Filter
 * @typedef {import('../mosaic').SearchResult} SearchResult
 * @typedef {import('../mosaic').ItemMetadata} ItemMetadata
 * @typedef {import('../mosaic').SearchMode} SearchMode
 * @typedef {{ handle: number, itemCount: number, rowsOffset?: number, rowStride?: number }} AddedShard  a shard the core
 *   accepted; rowsOffset and rowStride for a partition added as its head (row r is at rowsOffset + r * rowStride)
 * @typedef {{ ok: true, value: AddedShard } | { ok: false, error: { code: string, message: string } }} AddOutcome
 */

/**
 * A generation for a manifest's text, with no shard loaded yet; refused with the core's code
 * (invalid_json, unsupported_manifest_version, ...) and the manifest's URL.
 * @param {any} core  the loaded mosaic-core module
 * @param {string} manifestText
 * @param {URL} manifestUrl
 * @param {URL} base  the index's folder: thumbnails and media are resolved against it
 */
export function openGeneration(core, manifestText, manifestUrl, base) {
  const opened = core.openIndex(manifestText);
  if (!opened.ok) throw new MosaicError(opened.error.code, `${manifestUrl.href}: ${opened.error.message}`);
  return new LoadedGeneration(opened.value.index, opened.value.manifest, base);
}

export class LoadedGeneration {
  #index;
  #base;
  /** @type {{ position: number, handle: number, itemCount: number, items: ItemMetadata[] | undefined, lastUsed: number, rows?: { offset: number, stride: number, bytes: number } }[]} in manifest order; items made on first use; rows: a partition held as its head (the bytes of rows added so far) */
  #loaded = [];
  #uses = 0;
  #itemCount = 0;

  /**
   * @param {any} index  the core's LoadedIndex
   * @param {Manifest} manifest
   * @param {URL} base
   */
  constructor(index, manifest, base) {
    this.#index = index;
    this.#base = base;
    this.manifest = manifest;
  }

  /** Shards searchable in this generation. */
  get shardCount() { return this.#loaded.length; }
  /** Items in those shards. */
  get itemCount() { return this.#itemCount; }
  /** The loaded shards' positions in the manifest and their handles, in manifest order (rows: held as a head). */
  get loadedShards() { return this.#loaded.map(({ position, handle, rows }) => ({ position, handle, rows })); }

  /**
   * Hands a shard and its metadata to the core, which checks them against the manifest's entry at
   * `position` (hashes, sizes, shape) and keeps them. The shard is not searched until `register`.
   * @param {number} position
   * @param {Uint8Array} shardBytes
   * @param {Uint8Array} metadataBytes
   * @returns {AddOutcome}
   */
  add(position, shardBytes, metadataBytes) {
    if (this.manifest.layout === 'partitioned') return this.#index.addPartition(position, shardBytes, metadataBytes);
    return this.#index.addShard(position, shardBytes, metadataBytes);
  }

  /**
   * Partitioned sites: a partition's head alone (bytes [0, headBytes)) and its item metadata, checked by
   * the core; its rows come by addRows as answers name them (missingRows). Not searched until `register`.
   * @param {number} position
   * @param {Uint8Array} headBytes
   * @param {Uint8Array} metadataBytes
   * @returns {AddOutcome}
   */
  addHead(position, headBytes, metadataBytes) {
    return this.#index.addPartitionHead(position, headBytes, metadataBytes);
  }

  /**
   * Rows firstRow, firstRow + 1, ... of a partition held as its head, as one Range request gave them.
   * @param {number} position
   * @param {number} firstRow
   * @param {Uint8Array} bytes
   */
  addRows(position, firstRow, bytes) {
    const shard = this.#loaded.find((loaded) => loaded.position === position);
    if (!shard?.rows) throw new MosaicError('invalid_argument', `partition ${position} is not held as its head`);
    unwrap(this.#index.addPartitionRows(shard.handle, firstRow, bytes));
    shard.rows.bytes += bytes.length;
  }

  /**
   * Where the rows of a partition held as its head lie in its file; undefined when it is held whole.
   * @param {number} position
   * @returns {{ offset: number, stride: number, bytes: number } | undefined}
   */
  rowLayout(position) {
    return this.#loaded.find((loaded) => loaded.position === position)?.rows;
  }

  /**
   * Partitioned sites: the centroid table, checked by the core against the manifest's entry.
   * @param {Uint8Array} bytes
   */
  setCentroids(bytes) {
    unwrap(this.#index.setCentroids(bytes));
  }

  /**
   * Partitioned sites: the partitions (manifest positions) a vector query probes first, best first.
   * @param {ArrayLike<number>} vector
   * @param {{ nprobe?: number }} options
   * @returns {number[]}
   */
  partitionsToProbe(vector, { nprobe }) {
    return unwrap(this.#index.partitionsToProbe(vector, nprobe === undefined ? {} : { nprobe }));
  }

  /** @param {number} position */
  holds(position) {
    return this.#loaded.some((shard) => shard.position === position);
  }

  /** @param {number} position  held whole (not as a head whose rows come by range) */
  holdsWhole(position) {
    return this.#loaded.some((shard) => shard.position === position && !shard.rows);
  }

  /**
   * Marks vector files as used by a query now (the memory budget evicts the least recently used).
   * @param {Iterable<number>} positions
   */
  touch(positions) {
    const now = ++this.#uses;
    const wanted = new Set(positions);
    for (const shard of this.#loaded) if (wanted.has(shard.position)) shard.lastUsed = now;
  }

  /** The loaded vector files, least recently used first. */
  get leastRecentlyUsed() {
    return [...this.#loaded].sort((left, right) => left.lastUsed - right.lastUsed).map(({ position, itemCount }) => ({ position, itemCount }));
  }

  /**
   * Frees a loaded vector file (a partition evicted under the memory budget).
   * @param {number} position
   */
  release(position) {
    const at = this.#loaded.findIndex((shard) => shard.position === position);
    if (at === -1) return;
    unwrap(this.#index.releaseShard(this.#loaded[at].handle));
    this.#itemCount -= this.#loaded[at].itemCount;
    this.#loaded.splice(at, 1);
  }

  /**
   * Makes an added shard searchable.
   * @param {number} position
   * @param {AddedShard} added
   */
  register(position, { handle, itemCount, rowsOffset, rowStride }, rows = rowsOffset === undefined || rowStride === undefined ? undefined : { offset: rowsOffset, stride: rowStride, bytes: 0 }) {
    const at = this.#loaded.findIndex((shard) => shard.position > position);
    this.#loaded.splice(at === -1 ? this.#loaded.length : at, 0, { position, handle, itemCount, items: undefined, lastUsed: ++this.#uses, rows });
    this.#itemCount += itemCount;
  }

  /**
   * Moves shards of `previous` into this generation without loading them again (the core checks each
   * is the file this manifest names at its new position) and registers them. All or nothing: when
   * one is refused (not expected: the caller matched them by hash), the moved ones go back and the
   * refusal is thrown, so `previous` still searches as it did.
   * @param {LoadedGeneration} previous
   * @param {Map<number, { position: number, handle: number, rows?: { offset: number, stride: number, bytes: number } }>} kept  position here -> previous's shard
   */
  adoptFrom(previous, kept) {
    /** @type {{ position: number, from: { position: number, handle: number, rows?: { offset: number, stride: number, bytes: number } }, added: AddedShard }[]} */
    const moved = [];
    for (const [position, from] of kept) {
      const adopted = this.#index.adoptShard(position, previous.#index, from.handle);
      if (!adopted.ok) {
        for (const back of moved) previous.#index.adoptShard(back.from.position, this.#index, back.added.handle);
        throw new MosaicError(adopted.error.code, adopted.error.message);
      }
      moved.push({ position, from, added: adopted.value });
    }
    for (const { position, from, added } of moved) this.register(position, added, from.rows && { ...from.rows });
  }

  /**
   * A query vector as this index searches it (truncated to its dimensions, normalized), checked.
   * @param {ArrayLike<number>} vector
   * @returns {Float32Array}
   */
  prepareQuery(vector) {
    return unwrap(this.#index.prepareQuery(vector));
  }

  /**
   * An item's stored vector ("more like this"); unknown_item when it is not loaded.
   * @param {string} itemId
   * @returns {Float32Array}
   */
  storedVector(itemId) {
    return unwrap(this.#index.storedVector(itemId));
  }

  /**
   * The keyword directory's bytes, checked by the core against the manifest's entry.
   * @param {Uint8Array} bytes
   */
  setKeywordDirectory(bytes) {
    unwrap(this.#index.setKeywordDirectory(bytes));
  }

  /**
   * The term files a query's text needs that are not loaded yet.
   * @param {string} normalizedText  NFKC
   * @returns {{ index: number, file: string, hash: string, bytes: number }[]}
   */
  termFilesNeeded(normalizedText) {
    return unwrap(this.#index.termFilesNeeded(normalizedText));
  }

  /**
   * @param {number} index  the term file's place in the directory
   * @param {Uint8Array} bytes
   */
  addTermFile(index, bytes) {
    unwrap(this.#index.addTermFile(index, bytes));
  }

  /**
   * One query of the core over the loaded shards (and the keyword index, for keyword and hybrid
   * modes): the vector crosses into wasm once, is prepared there once, one scan finds the k best items
   * passing the filter and, when `classify` is given, the voters of the label vote among them; the
   * answer comes back in one piece, items included.
   * @param {Float32Array | Float64Array | number[]} vector  as the model gave it (empty for a keyword search)
   * @param {{ k: number, filter?: Filter, classify?: { k?: number, threshold?: number, minConfidence?: number }, onePerDocument?: boolean, groupDuplicates?: boolean, mode?: SearchMode, vectorWeight?: number, text?: string, nprobe?: number, rerankDepth?: number }} options
   *   groupDuplicates: the core marks near-duplicates (shared/search/near_duplicates.hpp); on unless false
   *   text: the query's text, NFKC-normalized, for the keyword index
   * @returns {{ mode: SearchMode, results: SearchResult[], classification?: CoreClassification, approximate?: boolean, missingPartitions?: number[], missingRows?: [number, number][] }}
   *   approximate, missingPartitions and missingRows on partitioned sites: the partitions, and the rows
   *   (position, row) of partitions held as heads, this answer still needs
   */
  query(vector, { k, filter, classify, onePerDocument = true, groupDuplicates = true, mode, vectorWeight, text = '', nprobe, rerankDepth }) {
    /** @type {Record<string, unknown>} */
    const options = { k, filter: filter ?? null, one_per_document: onePerDocument, group_duplicates: groupDuplicates };
    if (nprobe !== undefined) options.nprobe = nprobe;
    if (rerankDepth !== undefined) options.rerank_depth = rerankDepth;
    if (mode !== undefined) options.mode = mode;
    if (vectorWeight !== undefined) options.fusion = { vector_weight: vectorWeight };
    if (classify) options.classify = { k: classify.k, min_similarity: classify.threshold, min_confidence: classify.minConfidence };
    /** @type {{ mode: SearchMode, results: CoreHit[], approximate?: boolean, missing_partitions?: number[], missing_rows?: [number, number][], classification?: { known: boolean, label: string | null, confidence: number, votes: number, considered: number, best_score: number, neighbours: CoreHit[] } }} */
    const answer = unwrap(this.#index.query(vector, this.#handles(), options, text));
    const results = answer.results.map((hit) => this.#result(hit));
    /** @type {{ approximate?: boolean, missingPartitions?: number[], missingRows?: [number, number][] }} */
    const partitioned = answer.approximate === undefined ? {}
      : { approximate: answer.approximate, missingPartitions: answer.missing_partitions ?? [], missingRows: answer.missing_rows ?? [] };
    if (!answer.classification) return { mode: answer.mode, results, ...partitioned };
    const vote = answer.classification;
    return {
      mode: answer.mode,
      results,
      ...partitioned,
      classification: {
        label: vote.known && vote.label !== null ? vote.label : 'unknown',
        known: vote.known,
        confidence: vote.confidence,
        votes: vote.votes,
        considered: vote.considered,
        bestScore: vote.best_score,
        neighbours: vote.neighbours.map((hit) => this.#result(hit)),
      },
    };
  }

  /**
   * @param {string} id
   * @returns {ItemMetadata | undefined}
   */
  item(id) {
    return this.#index.itemById(id, this.#handles());
  }

  /**
   * Every loaded item, in manifest order. The core keeps the metadata; each shard's objects are made
   * here on the first call.
   * @returns {ItemMetadata[]}
   */
  items() {
    return this.#loaded.flatMap((shard) => (shard.items ??= unwrap(this.#index.items(shard.handle))));
  }

  /** Frees the wasm memory of the index and of the shards it holds (not of those adopted away). */
  close() {
    this.#index.delete();
    this.#loaded = [];
    this.#itemCount = 0;
  }

  /**
   * @typedef {{ id: string, score: number, item: ItemMetadata, close?: boolean, similarity?: number, duplicate_of?: string, duplicates?: number, matched_items?: number, matched_terms?: string[], highlights?: { title: [number, number][], snippet: [number, number][], transcript?: { segment: number, spans: [number, number][] }[] } }} CoreHit  a result as the core gives it
   * @typedef {{ label: string, known: boolean, confidence: number, votes: number, considered: number, bestScore: number, neighbours: SearchResult[] }} CoreClassification
   */

  #handles() { return this.#loaded.map((shard) => shard.handle); }

  /** @param {CoreHit} hit */
  #result({ id, score, item, close, similarity, duplicate_of: duplicateOf, duplicates, matched_items: matchedItems, matched_terms: matchedTerms, highlights }) {
    /** @type {SearchResult} */
    const result = { id, score, item };
    // The core's close-match decision (shared/search/close_match.hpp); a vote's neighbours carry none.
    if (close !== undefined) result.close = close;
    if (similarity !== undefined) result.similarity = similarity;
    // The core's near-duplicate groups (shared/search/near_duplicates.hpp): a copy names its group's first result.
    if (duplicateOf !== undefined) result.duplicateOf = duplicateOf;
    if (duplicates !== undefined) result.duplicates = duplicates;
    if (matchedItems !== undefined) result.matchedItems = matchedItems;
    if (matchedTerms !== undefined) result.matchedTerms = matchedTerms;
    if (highlights !== undefined) result.highlights = highlights;
    if (item.thumbnail) result.thumbnailUrl = new URL(item.thumbnail, this.#base).href;
    if (item.media) result.mediaUrl = new URL(item.media, this.#base).href;
    return result;
  }
}
