// Loading the generation an index opens with: every shard the manifest names, a few at once, from the
// store or the network, each searchable as soon as the core accepts it. Tolerant: a shard that fails
// is reported and left out (the results say they are partial), the others go on. Open resolves when
// the first shard is searchable; `ready` when all have settled and the downloads are stored.
import { refusal, shardError } from './errors.mjs';
import { loadCentroids, prefetchPartitions } from './partitions.mjs';
import { isPartitioned } from './vector_files.mjs';
import { runBounded } from './worker_pool.mjs';

/** @typedef {import('./index_state.mjs').IndexState} IndexState */

/**
 * Starts loading `state.generation`'s shards, sets `state.ready`, and resolves once the first shard
 * is searchable (at once for an empty index); rejects with the first shard's error when every shard
 * failed.
 * @param {IndexState} state
 */
export async function startLoading(state) {
  state.statistics.evicted += await state.source.evictUnnamed(state.generation.manifest);
  if (isPartitioned(state.generation.manifest)) {
    // A partitioned site is ready to search once its centroid table is in: queries fetch the
    // partitions they probe (lib/partitions.mjs). `prefetch: true` also fetches every one now.
    await loadCentroids(state, state.generation);
    const readiness = () => ({ shardsLoaded: state.statistics.shardsLoaded, shardsFailed: 0, errors: [...state.errors] });
    state.ready = state.options.prefetch
      ? prefetchPartitions(state).then(readiness, (error) => {
        state.errors.push(error);
        state.report(error);
        return readiness();
      })
      : Promise.resolve(readiness());
    return;
  }
  const shards = state.generation.manifest.shards;
  /** @type {Promise<void>[]} store writes under way (promises that never reject) */
  const storing = [];
  let settled = 0;
  /** @type {() => void} */
  let firstLoaded = () => {};
  const firstSearchable = new Promise((resolve) => { firstLoaded = () => resolve(undefined); });
  const loadOne = async (/** @type {number} */ position) => {
    try {
      await loadShard(state, position, storing);
    } finally {
      settled += 1;
    }
    if (state.statistics.shardsLoaded > 0 || settled === shards.length) firstLoaded();
  };
  // loadShard never throws: the pool runs until every shard is tried or the index is closed.
  state.ready = runBounded(shards.length, state.settings.concurrency, loadOne, () => state.closed).then(async () => {
    firstLoaded();
    await Promise.all(storing);
    return { shardsLoaded: state.statistics.shardsLoaded, shardsFailed: state.statistics.shardsFailed, errors: [...state.errors] };
  });
  if (shards.length === 0) return;
  await firstSearchable;
  if (state.statistics.shardsLoaded === 0) throw state.errors[0];
}

/**
 * One shard into the open generation, counted in the statistics; a failure is recorded in
 * state.errors and reported, never thrown.
 * @param {IndexState} state
 * @param {number} position
 * @param {Promise<void>[]} storing
 */
async function loadShard(state, position, storing) {
  const generation = state.generation;
  const entry = generation.manifest.shards[position];
  const statistics = state.statistics;
  const onBytes = (/** @type {number} */ count) => {
    statistics.bytesLoaded += count;
    statistics.bytesFromNetwork += count;
    state.progress();
  };
  try {
    const read = await state.source.read(entry, (shard, metadata) => generation.add(position, shard, metadata), onBytes,
      () => state.closed);
    if (!read) return;
    const { accepted, shardBytes, metadataBytes } = read;
    if (read.fromStore) {
      statistics.shardsFromStore += 1;
      statistics.bytesFromStore += shardBytes.length + metadataBytes.length;
      statistics.bytesLoaded += shardBytes.length + metadataBytes.length;
    } else {
      statistics.shardsFromNetwork += 1;
    }
    if (!accepted.ok) throw refusal(accepted);
    generation.register(position, accepted.value);
    statistics.items += accepted.value.itemCount;
    statistics.shardsLoaded += 1;
    state.progress();
    // Kept in the store off the loading path: the next shard downloads while this one is written
    // (a Cache API write of a shard took about as long as its download). `ready` waits for the writes.
    if (!read.fromStore && state.source.keeps) storing.push(state.source.keep(entry, shardBytes, metadataBytes));
  } catch (cause) {
    const error = shardError(cause, entry.file);
    statistics.shardsFailed += 1;
    state.errors.push(error);
    state.report(error);
    state.progress();
  }
}
