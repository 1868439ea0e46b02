// A partitioned site in the browser (docs/format.md, "Partitioned layout"): the centroid table at open,
// then only the partitions a query probes, fetched in parallel when it first needs them (from the
// store when it holds them, else the network), and kept in memory under a budget (maxMemoryMB, least
// recently used dropped first; never one the last query read). A query fetches each probed
// partition's head alone (an HTTP Range request: centre, sign codes, ids, residual statistics) with
// its item metadata, then only the rows its exact re-rank needs (a few Range requests per partition,
// partition_ranges.mjs); a host that ignores Range (200 instead of 206) gets whole partitions from
// then on, and so does a site where Range reads turn out not to save enough bytes to pay for their
// extra round trip (rangesPay), unless the caller asked for them (rangeRequests: true); partitions
// already held as heads keep taking their rows by Range. prefetch() and refresh() fetch whole files. The core decides what a query needs
// (partitionsToProbe, then each answer's missingPartitions and missingRows); this file only moves it.
import { MosaicError, refusal, shardError } from './errors.mjs';
import { coveringPiece, rangesPay, rowRuns } from './partition_ranges.mjs';
import { pieceKey, wholeFile } from './shard_source.mjs';
import { vectorFilesOf } from './vector_files.mjs';
import { runBounded } from './worker_pool.mjs';

/**
 * @typedef {import('./index_state.mjs').IndexState} IndexState
 * @typedef {import('./loaded_generation.mjs').LoadedGeneration} LoadedGeneration
 */

/** Default memory budget for partitions held at once: a phone keeps this much without trouble. */
export const defaultMaxMemoryMB = 256;
/** Rounds of "fetch what the answer still needs" a query may take (a filter's adaptive probe, keyword hits, rows). */
const maxRounds = 8;
/** Row requests in flight at once: the connections a browser opens to one host over HTTP/1.1. */
const rowRequestConcurrency = 6;

/**
 * Whether a partition not held yet is fetched as its head (rows by Range later): unless the caller
 * said no (rangeRequests: false), the host was seen ignoring Range, or, when the caller left it to the
 * client, Range reads have not paid so far (rangesPay).
 * @param {IndexState} state
 */
function usesRanges(state) {
  if (state.options.rangeRequests === false || state.rangesIgnored) return false;
  return state.options.rangeRequests === true || !state.statistics.rangesStopped;
}

/**
 * Books bytes fetched by Range for the rangesPay judgement; `wholeBytes` once per partition, at its head.
 * @param {IndexState} state
 * @param {number} rangeBytes
 * @param {number} wholeBytes
 */
function bookRangeBytes(state, rangeBytes, wholeBytes) {
  const ledger = state.rangeLedger;
  ledger.rangeBytes += rangeBytes;
  if (wholeBytes > 0) {
    ledger.wholeBytes += wholeBytes;
    ledger.partitions += 1;
  }
  if (state.options.rangeRequests !== true && !rangesPay(ledger)) state.statistics.rangesStopped = true;
}

/**
 * Drops a partition held as its head before its whole file replaces it (prefetch).
 * @param {IndexState} state
 * @param {LoadedGeneration} generation
 * @param {number} position
 */
function dropHead(state, generation, position) {
  const held = generation.leastRecentlyUsed.find((loaded) => loaded.position === position);
  if (!held) return;
  const entry = vectorFilesOf(generation.manifest)[position];
  generation.release(position);
  state.statistics.memoryBytes -= entry.bytes + entry.metadata.bytes;
  state.statistics.shardsLoaded -= 1;
  state.statistics.items -= held.itemCount;
}

/** @type {WeakMap<LoadedGeneration, Map<number, Promise<void>>>} partitions being fetched, per generation */
const inFlight = new WeakMap();

/**
 * The centroid table into `generation` (store first, else the network), before any query of it.
 * @param {IndexState} state
 * @param {LoadedGeneration} generation
 */
export async function loadCentroids(state, generation) {
  const entry = generation.manifest.centroids;
  if (!entry) return;
  await state.source.readFile(entry, (bytes) => generation.setCentroids(bytes), (count) => {
    state.statistics.centroidBytes += count;
    state.statistics.bytesFromNetwork += count;
  });
}

/**
 * Makes the partitions at `positions` searchable in `generation`, fetching those it does not hold, a
 * few at once; a partition another query is fetching is waited for, not fetched twice. `heads`: a
 * partition may be held as its head (its rows come later, fetchRows); else each is held whole (a head
 * held is replaced). Throws the first refusal or failed download (with `file`).
 * @param {IndexState} state
 * @param {LoadedGeneration} generation
 * @param {number[]} positions
 * @param {{ heads?: boolean }} [how]
 */
export async function ensurePartitions(state, generation, positions, { heads = false } = {}) {
  let pending = inFlight.get(generation);
  if (!pending) {
    pending = new Map();
    inFlight.set(generation, pending);
  }
  /** @type {Promise<void>[]} */
  const waits = [];
  /** @type {number[]} */
  const wanted = [];
  for (const position of new Set(positions)) {
    const running = pending.get(position);
    if (running) waits.push(running);
    else if (!(heads ? generation.holds(position) : generation.holdsWhole(position))) wanted.push(position);
  }
  const files = vectorFilesOf(generation.manifest);
  const statistics = state.statistics;
  const onBytes = (/** @type {number} */ count) => {
    statistics.bytesLoaded += count;
    statistics.bytesFromNetwork += count;
  };
  /**
   * @param {number} position
   * @param {import('./loaded_generation.mjs').AddOutcome} accepted
   * @param {{ fromStore: boolean, storedBytes?: number }} origin
   */
  const accept = (position, accepted, { fromStore, storedBytes = 0 }) => {
    const entry = files[position];
    if (!accepted.ok) {
      const error = refusal(accepted);
      error.file = entry.file;
      throw error;
    }
    generation.register(position, accepted.value);
    statistics.shardsLoaded += 1;
    statistics.items += accepted.value.itemCount;
    // The core holds a head's rows block in full (zeros until rows arrive): the budget counts the file.
    statistics.memoryBytes += entry.bytes + entry.metadata.bytes;
    if (fromStore) {
      statistics.shardsFromStore += 1;
      statistics.bytesFromStore += storedBytes;
      statistics.bytesLoaded += storedBytes;
    } else {
      statistics.shardsFromNetwork += 1;
    }
  };
  const fetchWhole = async (/** @type {number} */ position) => {
    const entry = files[position];
    if (generation.holds(position)) dropHead(state, generation, position);
    const read = await state.source.read(entry, (bytes, metadata) => generation.add(position, bytes, metadata), onBytes,
      () => state.closed);
    if (!read) return;
    accept(position, read.accepted, { fromStore: read.fromStore, storedBytes: read.shardBytes.length + read.metadataBytes.length });
    if (!read.fromStore) await state.source.keep(entry, read.shardBytes, read.metadataBytes);
  };
  const fetchHead = async (/** @type {number} */ position) => {
    const entry = /** @type {import('../mosaic').ManifestPartition} */ (files[position]);
    const headKey = pieceKey(entry.hash, 0, entry.headBytes);
    const pieces = await state.source.storedPieces(entry.hash);
    if (pieces.some(([, end]) => end === wholeFile) || !usesRanges(state)) return fetchWhole(position);
    if (coveringPiece(pieces, 0, entry.headBytes)) {
      const [head, metadata] = await Promise.all([state.source.stored(headKey), state.source.stored(entry.metadata.hash)]);
      if (state.closed) return;
      if (head && metadata) {
        const accepted = generation.addHead(position, head, metadata);
        if (accepted.ok) return accept(position, accepted, { fromStore: true, storedBytes: head.length + metadata.length });
        await Promise.all([state.source.forget(headKey), state.source.forget(entry.metadata.hash)]);
      }
    }
    const [head, metadata] = await Promise.all([
      state.source.fetchRange(entry, 0, entry.headBytes, onBytes),
      state.source.download(entry.metadata, onBytes),
    ]);
    if (state.closed) return;
    if (!head.partial) {
      // The host ignored Range and sent the whole file: use it, and fetch whole files from now on.
      state.rangesIgnored = true;
      accept(position, generation.add(position, head.bytes, metadata), { fromStore: false });
      await state.source.keep(entry, head.bytes, metadata);
      return;
    }
    accept(position, generation.addHead(position, head.bytes, metadata), { fromStore: false });
    bookRangeBytes(state, head.bytes.length, entry.bytes);
    await Promise.all([state.source.keepBytes(headKey, head.bytes), state.source.keepBytes(entry.metadata.hash, metadata)]);
  };
  /** @type {Promise<void>} */
  const fetching = runBounded(wanted.length, state.settings.concurrency, async (index) => {
    const position = wanted[index];
    try {
      await (heads ? fetchHead(position) : fetchWhole(position));
    } catch (cause) {
      throw shardError(cause, files[position].file);
    }
  }, () => state.closed);
  for (const position of wanted) pending.set(position, fetching);
  try {
    await Promise.all([fetching, ...waits]);
  } finally {
    for (const position of wanted) pending.delete(position);
  }
  state.progress();
}

/**
 * The rows (position, row) an answer named as missing, from partitions held as heads: runs of rows
 * close together as one Range request each (partition_ranges.mjs), from the store when it holds a
 * piece covering the run, a few requests at once. A host that answers a row request with the whole
 * file (200) gives every row of that partition at once. Rows of a partition no longer held (evicted,
 * or a refresh swapped generations meanwhile) are skipped: the next answer names what is still missing.
 * @param {IndexState} state
 * @param {LoadedGeneration} generation
 * @param {[number, number][]} missingRows
 */
export async function fetchRows(state, generation, missingRows) {
  const files = vectorFilesOf(generation.manifest);
  const statistics = state.statistics;
  /** @type {Map<number, number[]>} */
  const byPartition = new Map();
  for (const [position, row] of missingRows) byPartition.set(position, [...(byPartition.get(position) ?? []), row]);
  /** @type {{ position: number, first: number, start: number, end: number, piece: [number, number] | undefined }[]} */
  const requests = [];
  for (const [position, rows] of byPartition) {
    const layout = generation.rowLayout(position);
    if (!layout) continue;
    const pieces = (await state.source.storedPieces(files[position].hash)).filter(([, end]) => end !== wholeFile);
    for (const run of rowRuns(rows, layout.stride)) {
      const start = layout.offset + run.first * layout.stride;
      const end = start + run.count * layout.stride;
      requests.push({ position, first: run.first, start, end, piece: coveringPiece(pieces, start, end) });
    }
  }
  const current = () => !state.closed && state.generation === generation;
  const onBytes = (/** @type {number} */ count) => {
    statistics.bytesLoaded += count;
    statistics.bytesFromNetwork += count;
  };
  await runBounded(requests.length, rowRequestConcurrency, async (index) => {
    const { position, first, start, end, piece } = requests[index];
    const entry = files[position];
    const add = (/** @type {number} */ firstRow, /** @type {Uint8Array} */ bytes) => {
      if (!current() || !generation.rowLayout(position)) return;
      try {
        generation.addRows(position, firstRow, bytes);
      } catch (cause) {
        throw shardError(cause, entry.file);
      }
    };
    if (piece) {
      const key = pieceKey(entry.hash, piece[0], piece[1]);
      const stored = await state.source.stored(key);
      if (stored && stored.length === piece[1] - piece[0]) {
        try {
          add(first, stored.subarray(start - piece[0], end - piece[0]));
          statistics.bytesFromStore += end - start;
          return;
        } catch {
          await state.source.forget(key);
        }
      }
    }
    const fetched = await state.source.fetchRange(entry, start, end, onBytes);
    statistics.rangeRequests = (statistics.rangeRequests ?? 0) + 1;
    if (!current()) return;
    if (!fetched.partial) {
      state.rangesIgnored = true;
      const layout = generation.rowLayout(position);
      if (!layout) return;
      if (fetched.bytes.length !== entry.bytes) throw new MosaicError('network_error', `${entry.file}: the host sent ${fetched.bytes.length} bytes, the manifest says ${entry.bytes}`);
      add(0, fetched.bytes.subarray(layout.offset));
      return;
    }
    add(first, fetched.bytes);
    bookRangeBytes(state, fetched.bytes.length, 0);
    // Not awaited: the answer does not wait for the store (keepBytes never rejects).
    void state.source.keepBytes(pieceKey(entry.hash, start, end), fetched.bytes);
  }, () => state.closed);
}

/**
 * Drops the least recently used partitions until those held fit in maxMemoryMB, keeping `inUse`.
 * @param {IndexState} state
 * @param {LoadedGeneration} generation
 * @param {Set<number>} inUse  the partitions the last query read
 */
export function evictOverBudget(state, generation, inUse) {
  const budget = (state.options.maxMemoryMB ?? defaultMaxMemoryMB) * 1024 * 1024;
  const files = vectorFilesOf(generation.manifest);
  const statistics = state.statistics;
  for (const { position, itemCount } of generation.leastRecentlyUsed) {
    if (statistics.memoryBytes <= budget) return;
    if (inUse.has(position)) continue;
    generation.release(position);
    statistics.memoryBytes -= files[position].bytes + files[position].metadata.bytes;
    statistics.shardsLoaded -= 1;
    statistics.items -= itemCount;
    statistics.partitionsEvicted += 1;
  }
}

/**
 * One query of a partitioned site: the partitions the core says the vector probes, then, round by
 * round, those its answer still names (a filter probing on, keyword hits elsewhere), until the answer
 * is final. Returns the core's answer and how many partitions this query fetched.
 * @param {IndexState} state
 * @param {Float32Array | Float64Array | number[]} vector  empty for a keyword search
 * @param {Parameters<LoadedGeneration['query']>[1]} options
 */
export async function queryPartitions(state, vector, options) {
  const generation = state.generation;
  const fetchedBefore = state.statistics.shardsFromNetwork + state.statistics.shardsFromStore;
  const used = new Set(vector.length > 0 && options.mode !== 'keyword' ? generation.partitionsToProbe(vector, options) : []);
  let answer;
  for (let round = 0; ; round += 1) {
    // Heads held stay usable (their rows come by Range) even once new partitions come whole.
    await ensurePartitions(state, generation, [...used], { heads: state.options.rangeRequests !== false && !state.rangesIgnored });
    state.checkOpen();
    // A refresh that swapped generations meanwhile: search the one now open, from its own partitions.
    if (state.generation !== generation) return queryPartitions(state, vector, options);
    generation.touch(used);
    answer = generation.query(vector, options);
    const missing = answer.missingPartitions ?? [];
    const missingRows = answer.missingRows ?? [];
    if ((missing.length === 0 && missingRows.length === 0) || round + 1 >= maxRounds) break;
    for (const position of missing) used.add(position);
    if (missingRows.length > 0) await fetchRows(state, generation, missingRows);
  }
  // The partitions this answer read stay (its results' items live there: "more like this" needs
  // them); others may go.
  evictOverBudget(state, generation, used);
  const fetched = state.statistics.shardsFromNetwork + state.statistics.shardsFromStore - fetchedBefore;
  return { answer, partitionsFetched: fetched, partitionsRead: used.size };
}

/**
 * Every partition of the open generation into memory and the store (offline use), within the budget
 * only if the caller raised it: prefetch() asks for all of them.
 * @param {IndexState} state
 * @returns {Promise<{ partitions: number, bytes: number }>}
 */
export async function prefetchPartitions(state) {
  const generation = state.generation;
  const files = vectorFilesOf(generation.manifest);
  const before = state.statistics.bytesFromNetwork;
  await ensurePartitions(state, generation, files.map((_, position) => position));
  return { partitions: files.length, bytes: state.statistics.bytesFromNetwork - before };
}
