// A partitioned site in the browser (docs/format.md, "Partitioned layout"): the centroid table at open,
// then only the partitions a query probes, fetched in parallel when it first needs them (from the
// store when it holds them, else the network), and kept in memory under a budget (maxMemoryMB, least
// recently used dropped first; never one the last query read). The core decides which partitions a
// query needs (partitionsToProbe, then each answer's missingPartitions); this file only moves them.
import { refusal, shardError } from './errors.mjs';
import { vectorFilesOf } from './vector_files.mjs';
import { runBounded } from './worker_pool.mjs';

/**
 * @typedef {import('./index_state.mjs').IndexState} IndexState
 * @typedef {import('./loaded_generation.mjs').LoadedGeneration} LoadedGeneration
 */

/** Default memory budget for partitions held at once: a phone keeps this much without trouble. */
export const defaultMaxMemoryMB = 256;
/** Rounds of "fetch what the answer still needs" a query may take (a filter's adaptive probe, keyword hits). */
const maxRounds = 8;

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
 * few at once; a partition another query is fetching is waited for, not fetched twice. Throws the
 * first refusal or failed download (with `file`).
 * @param {IndexState} state
 * @param {LoadedGeneration} generation
 * @param {number[]} positions
 */
export async function ensurePartitions(state, generation, positions) {
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
    if (generation.holds(position)) continue;
    const running = pending.get(position);
    if (running) waits.push(running);
    else wanted.push(position);
  }
  const files = vectorFilesOf(generation.manifest);
  const statistics = state.statistics;
  const fetchOne = async (/** @type {number} */ position) => {
    const entry = files[position];
    const onBytes = (/** @type {number} */ count) => {
      statistics.bytesLoaded += count;
      statistics.bytesFromNetwork += count;
    };
    const read = await state.source.read(entry, (bytes, metadata) => generation.add(position, bytes, metadata), onBytes,
      () => state.closed);
    if (!read) return;
    if (!read.accepted.ok) {
      const error = refusal(read.accepted);
      error.file = entry.file;
      throw error;
    }
    generation.register(position, read.accepted.value);
    statistics.shardsLoaded += 1;
    statistics.items += read.accepted.value.itemCount;
    statistics.memoryBytes += entry.bytes + entry.metadata.bytes;
    if (read.fromStore) {
      statistics.shardsFromStore += 1;
      statistics.bytesFromStore += read.shardBytes.length + read.metadataBytes.length;
      statistics.bytesLoaded += read.shardBytes.length + read.metadataBytes.length;
    } else {
      statistics.shardsFromNetwork += 1;
      await state.source.keep(entry, read.shardBytes, read.metadataBytes);
    }
  };
  /** @type {Promise<void>} */
  const fetching = runBounded(wanted.length, state.settings.concurrency, async (index) => {
    const position = wanted[index];
    try {
      await fetchOne(position);
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
    await ensurePartitions(state, generation, [...used]);
    state.checkOpen();
    // A refresh that swapped generations meanwhile: search the one now open, from its own partitions.
    if (state.generation !== generation) return queryPartitions(state, vector, options);
    generation.touch(used);
    answer = generation.query(vector, options);
    const missing = answer.missingPartitions ?? [];
    if (missing.length === 0 || round + 1 >= maxRounds) break;
    for (const position of missing) used.add(position);
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
