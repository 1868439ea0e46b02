// What an open index knows, shared by the modules that do its jobs (initial_load, generations,
// events, query_embedding) and kept private by the front door (mosaic.mjs), which holds one.
import { MosaicError } from './errors.mjs';
import { isPartitioned, vectorFilesOf } from './vector_files.mjs';

/**
 * @typedef {import('./loaded_generation.mjs').LoadedGeneration} LoadedGeneration
 * @typedef {import('./loaded_generation.mjs').Manifest} Manifest
 * @typedef {import('./shard_source.mjs').ShardSource} ShardSource
 * @typedef {import('./config.mjs').OpenOptions} OpenOptions
 * @typedef {import('./fetching.mjs').FetchFunction} FetchFunction
 * @typedef {ReturnType<import('./config.mjs').resolveSettings>} Settings
 * @typedef {import('../mosaic').Stats} Stats
 * @typedef {{ shardsLoaded: number, shardsFailed: number, errors: MosaicError[] }} Readiness
 */

/**
 * The statistics of a generation none of whose shards is loaded yet.
 * @param {Manifest} manifest
 * @returns {Stats}
 */
export function statisticsOf(manifest) {
  const shards = vectorFilesOf(manifest);
  return {
    generation: manifest.generation,
    items: 0,
    itemsTotal: manifest.itemCount,
    shardsTotal: shards.length,
    shardsLoaded: 0,
    shardsFailed: 0,
    shardsFromNetwork: 0,  // shards with at least one file downloaded
    shardsFromStore: 0,    // shards read entirely from the store
    bytesTotal: bytesOf(manifest),
    bytesLoaded: 0,
    bytesFromNetwork: 0,
    bytesFromStore: 0,
    evicted: 0,            // stored files this manifest no longer names, removed at open
    keywordBytesLoaded: 0, // keyword directory and term files fetched for queries (lib/keyword_files.mjs)
    // Partitioned sites (lib/partitions.mjs): shards* and bytes* count partitions and their files.
    partitioned: isPartitioned(manifest),
    centroidBytes: 0,      // the centroid table, fetched at open
    partitionsEvicted: 0,  // partitions dropped from memory under maxMemoryMB
    memoryBytes: 0,        // bytes of the partitions held in memory now
    rangeRequests: 0,      // Range requests for partition rows (lib/partitions.mjs, fetchRows)
    rangesStopped: false,  // Range reads did not pay (lib/partition_ranges.mjs, rangesPay): new partitions come whole
  };
}

/**
 * The bytes of every file a manifest names (shards and their metadata).
 * @param {Manifest} manifest
 */
export function bytesOf(manifest) {
  const files = vectorFilesOf(manifest).reduce((total, shard) => total + shard.bytes + shard.metadata.bytes, 0);
  return files + (manifest.centroids?.bytes ?? 0);
}

export class IndexState {
  /** @type {Promise<Readiness>} replaced by the initial load's, before the open index is handed out */
  ready = Promise.resolve({ shardsLoaded: 0, shardsFailed: 0, errors: [] });
  /** @type {MosaicError[]} shards of this generation that were refused or could not be fetched */
  errors = [];
  /** Partitioned sites: the host answered a Range request with the whole file (200): fetch whole files. */
  rangesIgnored = false;
  /** Partitioned sites: bytes fetched by Range (heads and rows) against the whole files they came from. */
  rangeLedger = { rangeBytes: 0, wholeBytes: 0, partitions: 0 };
  closed = false;
  /** @type {Promise<import('../mosaic').RefreshResult> | undefined} the refresh under way; a second caller shares it */
  refreshing = undefined;
  /** @type {(() => void) | undefined} */
  stopWatching = undefined;

  /**
   * @param {object} parts
   * @param {any} parts.core  the loaded mosaic-core module
   * @param {LoadedGeneration} parts.generation  the generation searched now
   * @param {URL} parts.base  the index's folder
   * @param {OpenOptions} parts.options
   * @param {FetchFunction} parts.fetchFunction
   * @param {Settings} parts.settings
   * @param {ShardSource} parts.source
   * @param {{ text: string, etag: string | undefined }} parts.manifestFile  manifest.json as accepted
   */
  constructor({ core, generation, base, options, fetchFunction, settings, source, manifestFile }) {
    this.core = core;
    this.generation = generation;
    this.base = base;
    this.options = options;
    this.fetchFunction = fetchFunction;
    this.settings = settings;
    this.source = source;
    // A refresh that fetches the same text changes nothing; the ETag makes an unchanged one a 304.
    this.manifestText = manifestFile.text;
    this.manifestEtag = manifestFile.etag;
    this.statistics = statisticsOf(generation.manifest);
  }

  /** True once every shard is loaded; false while loading and after a shard failed. A partitioned
   *  site is complete once every partition is in memory (prefetch()), which it need not be to search. */
  get complete() { return this.statistics.shardsLoaded === this.statistics.shardsTotal; }

  checkOpen() {
    if (this.closed) throw new MosaicError('invalid_argument', 'this index was closed');
  }

  /** @param {MosaicError} error */
  report(error) {
    this.options.onError?.(error);
  }

  progress() {
    const statistics = this.statistics;
    this.options.onProgress?.({
      loadedBytes: statistics.bytesLoaded,
      totalBytes: statistics.bytesTotal,
      shardsLoaded: statistics.shardsLoaded,
      shardsFailed: statistics.shardsFailed,
      shardsTotal: statistics.shardsTotal,
    });
  }
}
