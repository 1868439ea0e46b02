// Keeping up with new generations of an index: fetch the manifest again, load only the shards whose
// files are new into a next generation (strict: any refusal or failed download rejects, and the open
// index stays as it was), move over the shards both generations name, swap the next one in at once,
// and evict the files no longer named.
import { MosaicError, refusal } from './errors.mjs';
import { fetchManifest } from './fetching.mjs';
import { openGeneration } from './loaded_generation.mjs';
import { bytesOf } from './index_state.mjs';
import { loadCentroids } from './partitions.mjs';
import { isPartitioned, vectorFilesOf } from './vector_files.mjs';
import { runBounded } from './worker_pool.mjs';

/**
 * @typedef {import('./index_state.mjs').IndexState} IndexState
 * @typedef {import('./loaded_generation.mjs').LoadedGeneration} LoadedGeneration
 * @typedef {import('./loaded_generation.mjs').ManifestShard} ManifestShard
 * @typedef {import('../mosaic').RefreshResult} RefreshResult
 * @typedef {{ position: number, entry: ManifestShard, itemCount: number, fromNetwork: boolean, shardBytes: Uint8Array, metadataBytes: Uint8Array }} NewShard
 */

/**
 * The refresh under way, or a new one: concurrent callers share one.
 * @param {IndexState} state
 * @returns {Promise<RefreshResult>}
 */
export function refresh(state) {
  if (state.closed) return Promise.reject(new MosaicError('invalid_argument', 'this index was closed'));
  state.refreshing ??= refreshOnce(state).finally(() => { state.refreshing = undefined; });
  return state.refreshing;
}

/**
 * @param {IndexState} state
 * @returns {Promise<RefreshResult>}
 */
async function refreshOnce(state) {
  // The current generation's loading settles first: its shards are the ones a new one may keep.
  await state.ready;
  state.checkOpen();
  const manifestUrl = new URL('manifest.json', state.base);
  const itemsBefore = state.statistics.items;
  const unchanged = () => {
    const generation = state.generation.manifest.generation;
    return { changed: false, generation, previousGeneration: generation, added: [], removed: [],
      kept: state.generation.shardCount, bytes: 0, shardsFromStore: 0, items: itemsBefore, itemsBefore };
  };
  const fetched = await fetchManifest(state.fetchFunction, manifestUrl, state.manifestEtag);
  state.checkOpen();
  if (fetched.notModified) return unchanged();
  if (fetched.text === state.manifestText) {
    state.manifestEtag = fetched.etag;
    return unchanged();
  }
  const next = openGeneration(state.core, fetched.text, manifestUrl, state.base);
  let swapped = false;
  try {
    const previous = state.generation;
    const kept = shardsToKeep(previous, next);
    // A partitioned site: the new centroid table, then only the partitions this client held whose
    // files changed (the others are fetched when a query probes them).
    if (isPartitioned(next.manifest)) await loadCentroids(state, next);
    const { loaded, bytes } = await loadNewShards(state, next, kept, previous);
    state.checkOpen();
    swapIn(state, next, kept);
    swapped = true;
    state.manifestText = fetched.text;
    state.manifestEtag = fetched.etag;
    state.statistics.bytesFromNetwork += bytes;
    const keeping = loaded.filter((shard) => shard.fromNetwork).map((shard) => state.source.keep(shard.entry, shard.shardBytes, shard.metadataBytes));
    const evicting = state.source.evictUnnamed(next.manifest).then((count) => { state.statistics.evicted += count; });
    await Promise.all([...keeping, evicting]);
    const named = new Set(vectorFilesOf(next.manifest).map((shard) => shard.file));
    return {
      changed: true,
      generation: next.manifest.generation,
      previousGeneration: previous.manifest.generation,
      added: loaded.map((shard) => shard.entry.file),
      removed: vectorFilesOf(previous.manifest).map((shard) => shard.file).filter((file) => !named.has(file)),
      kept: kept.size,
      bytes,
      shardsFromStore: loaded.filter((shard) => !shard.fromNetwork).length,
      items: state.statistics.items,
      itemsBefore,
    };
  } finally {
    if (!swapped) next.close();
  }
}

/**
 * The shards of `previous` that `next` names again (same files, same item count, same vector shape):
 * position in next -> previous's shard. A file named twice is kept once and loaded the second time.
 * @param {LoadedGeneration} previous
 * @param {LoadedGeneration} next
 */
function shardsToKeep(previous, next) {
  /** @type {Map<number, { position: number, handle: number }>} */
  const kept = new Map();
  const sameShape = next.manifest.dimensions === previous.manifest.dimensions && next.manifest.quantization === previous.manifest.quantization &&
    isPartitioned(next.manifest) === isPartitioned(previous.manifest);
  if (!sameShape) return kept;
  const keyOf = (/** @type {ManifestShard} */ shard) => `${shard.hash} ${shard.metadata.hash} ${shard.items}`;
  const held = new Map(previous.loadedShards.map((loaded) => [keyOf(vectorFilesOf(previous.manifest)[loaded.position]), loaded]));
  vectorFilesOf(next.manifest).forEach((shard, position) => {
    const loaded = held.get(keyOf(shard));
    if (!loaded) return;
    kept.set(position, loaded);
    held.delete(keyOf(shard));
  });
  return kept;
}

/**
 * Loads the shards of `next` that are not kept (store first, else the network) and makes them
 * searchable in `next`, which nothing searches yet. Throws the first refusal or failed download, once
 * no load is left writing into next.
 * @param {IndexState} state
 * @param {LoadedGeneration} next
 * @param {Map<number, unknown>} kept
 * @param {LoadedGeneration} previous
 * @returns {Promise<{ loaded: NewShard[], bytes: number }>}
 */
async function loadNewShards(state, next, kept, previous) {
  const files = vectorFilesOf(next.manifest);
  // Flat: every shard not kept. Partitioned: the partitions held now whose files changed, no others.
  const held = new Set(previous.loadedShards.map((loaded) => loaded.position));
  const partitioned = isPartitioned(next.manifest);
  const wanted = files.map((_, position) => position)
    .filter((position) => !kept.has(position) && (!partitioned || held.has(position)));
  /** @type {NewShard[]} */
  const loaded = [];
  let bytes = 0;
  const count = (/** @type {number} */ received) => { bytes += received; };
  await runBounded(wanted.length, state.settings.concurrency, async (index) => {
    const position = wanted[index];
    const entry = files[position];
    const read = await state.source.read(entry, (shard, metadata) => next.add(position, shard, metadata), count);
    if (!read) return;
    if (!read.accepted.ok) {
      const error = refusal(read.accepted);
      error.file = entry.file;
      throw error;
    }
    next.register(position, read.accepted.value);
    loaded.push({ position, entry, itemCount: read.accepted.value.itemCount, fromNetwork: !read.fromStore,
      shardBytes: read.shardBytes, metadataBytes: read.metadataBytes });
  });
  return { loaded, bytes };
}

/**
 * Synchronous, so no search sees half of it: the kept shards move into the next generation (all or
 * nothing), it replaces the open one, and the old one is freed with the shards only it named.
 * @param {IndexState} state
 * @param {LoadedGeneration} next
 * @param {Map<number, { position: number, handle: number }>} kept
 */
function swapIn(state, next, kept) {
  next.adoptFrom(state.generation, kept);
  const previous = state.generation;
  state.generation = next;
  previous.close();
  state.errors = [];
  const manifest = next.manifest;
  const statistics = state.statistics;
  Object.assign(statistics, {
    generation: manifest.generation,
    items: next.itemCount,
    itemsTotal: manifest.itemCount,
    shardsTotal: vectorFilesOf(manifest).length,
    shardsLoaded: next.shardCount,
    shardsFailed: 0,
    bytesTotal: bytesOf(manifest),
  });
  if (isPartitioned(manifest)) {
    const files = vectorFilesOf(manifest);
    statistics.memoryBytes = next.loadedShards.reduce((total, { position }) => total + files[position].bytes + files[position].metadata.bytes, 0);
  } else {
    statistics.bytesLoaded = statistics.bytesTotal;
  }
  statistics.refreshes = (statistics.refreshes ?? 0) + 1;
}
