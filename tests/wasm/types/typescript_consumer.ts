// A TypeScript program that uses every public member of Mosaic's JavaScript API through its
// declarations (wasm/mosaic.d.ts), as an application would. It is type-checked, never run
// (tests/wasm/types/tsconfig.json, ctest wasm.api.types): a declaration that cannot be used as
// documented fails the build's tests.
import DefaultMosaic, {
  Mosaic, MosaicError, cacheStore, defaultStore, indexedDbStore, loadCore, maximumAudioSeconds, memoryStore,
} from '../../../wasm/mosaic';
import type {
  Classification, Filter, ItemMetadata, Manifest, ManifestShard, Modality, MosaicErrorCode, OpenOptions,
  PreparedAudio, PreparedImage, Progress, Query, RefreshResult, SearchAnswer, SearchResult, ShardStore, Stats,
  WatchOptions,
} from '../../../wasm/mosaic';

const sameClass: typeof Mosaic = DefaultMosaic;

function describeError(error: MosaicError): string {
  const code: MosaicErrorCode = error.code;
  const name: 'MosaicError' = error.name;
  const where = error.file === undefined ? '' : ` (${error.file})`;
  const status = error.status === undefined ? '' : ` HTTP ${error.status}`;
  return `${name} ${code}${where}${status}: ${error.message}`;
}

function describeResult({ id, score, item, thumbnailUrl, mediaUrl }: SearchResult): string {
  const modality: Modality = item.modality;
  const fields: (string | number | undefined)[] = [item.id, item.title, item.source, item.mime_type, item.label,
    item.thumbnail, item.media, item.snippet, item.source_offset, item.embedded_from, ...(item.tags ?? [])];
  return `${id} ${score.toFixed(3)} ${modality} ${fields.join(' ')} ${thumbnailUrl ?? ''} ${mediaUrl ?? ''}`;
}

function describeManifest(manifest: Manifest): number {
  const shard: ManifestShard | undefined = manifest.shards[0];
  const quantization: 'f32' | 'i8' = manifest.quantization;
  const metric: 'cosine' = manifest.metric;
  return manifest.formatVersion + manifest.generation + manifest.dimensions + manifest.fullDimensions + manifest.itemCount +
    (shard ? shard.bytes + shard.items + shard.metadata.bytes + shard.hash.length + shard.file.length : 0) +
    quantization.length + metric.length + manifest.model.length;
}

function describeStats(stats: Stats): number {
  return stats.generation + stats.items + stats.itemsTotal + stats.shardsTotal + stats.shardsLoaded + stats.shardsFailed +
    stats.shardsFromNetwork + stats.shardsFromStore + stats.bytesTotal + stats.bytesLoaded + stats.bytesFromNetwork +
    stats.bytesFromStore + stats.evicted + (stats.refreshes ?? 0);
}

function describeRefresh(update: RefreshResult): string {
  return `${update.changed} ${update.generation} ${update.previousGeneration} ${update.added.join()} ${update.removed.join()} ` +
    `${update.kept} ${update.bytes} ${update.shardsFromStore} ${update.items} ${update.itemsBefore}`;
}

function describeAnswer(answer: SearchAnswer): string {
  return `${answer.results.map(describeResult).join('\n')} ${answer.partial} ${answer.shardsSearched}/${answer.shardsTotal} ${answer.milliseconds}`;
}

function describeVote(vote: Classification): string {
  return `${vote.label} ${vote.known} ${vote.confidence} ${vote.votes}/${vote.considered} ${vote.bestScore} ${vote.partial} ` +
    vote.neighbours.map(describeResult).join();
}

async function useStore(store: ShardStore): Promise<number> {
  await store.put('0123456789abcdef', new Uint8Array([1, 2, 3]));
  const bytes: Uint8Array | undefined = await store.get('0123456789abcdef');
  await store.delete('0123456789abcdef');
  const keys: string[] = await store.keys();
  return (bytes?.length ?? 0) + keys.length;
}

export async function useEveryMember(page: string, photo: Blob, recording: ArrayBuffer): Promise<string[]> {
  const lines: string[] = [];
  const core: unknown = await loadCore({ coreUrl: './mosaic-core.mjs' });
  lines.push(String(core), String(maximumAudioSeconds));
  for (const store of [memoryStore(), cacheStore('mosaic test'), indexedDbStore('mosaic test'), defaultStore(page), defaultStore(new URL(page))]) {
    lines.push(String(await useStore(store)));
  }

  const options: OpenOptions = {
    onProgress: (progress: Progress) => {
      lines.push(`${progress.loadedBytes}/${progress.totalBytes} ${progress.shardsLoaded}+${progress.shardsFailed}/${progress.shardsTotal}`);
    },
    onError: (error) => { lines.push(describeError(error)); },
    fetch: globalThis.fetch,
    storage: memoryStore(),
    proxyUrl: 'https://example.com/',
    modelBaseUrl: 'https://example.com/model/',
    modelModuleUrl: 'https://example.com/mosaic-model.mjs',
    coreUrl: 'https://example.com/mosaic-core.mjs',
    concurrency: 2,
    imageMaxSide: 512,
    watch: true,
    onUpdate: (update) => { lines.push(describeRefresh(update)); },
    eventsUrl: 'https://example.com/api/events',
    pollInterval: 30000,
  };
  const noStore: OpenOptions = { storage: null };
  const db: Mosaic = await sameClass.open(page, options);
  const other = await Mosaic.open(new URL(page), noStore);
  other.close();

  const image: PreparedImage = await Mosaic.prepareImage(photo, { maxSide: 256, quality: 80, coreUrl: options.coreUrl });
  lines.push(`${image.mimeType} ${image.bytes.length} ${image.width}x${image.height} of ${image.originalWidth}x${image.originalHeight} ${image.resized}`);
  const audio: PreparedAudio = await Mosaic.prepareAudio(recording, { maxSeconds: 30, sampleRate: 16000 });
  lines.push(`${audio.mimeType} ${audio.bytes.length} ${audio.converted} ${audio.seconds}/${audio.sourceSeconds} ${audio.truncated}`);
  const wav: Uint8Array = await Mosaic.encodeWav(new Float32Array([0, 0.5, -0.5]), { sampleRate: 16000, channels: 1 });
  lines.push(String(wav.length), String((await Mosaic.encodeWav([0, 1], { sampleRate: 8000 })).length));

  lines.push(String(describeManifest(db.manifest)), String(describeStats(db.stats)), String(db.complete), db.model,
    String(db.usesLocalModel), ...db.errors.map(describeError));
  const ready: { shardsLoaded: number; shardsFailed: number; errors: MosaicError[] } = await db.ready;
  lines.push(`${ready.shardsLoaded} ${ready.shardsFailed} ${ready.errors.length}`);

  const filter: Filter = { modality: ['image', 'audio'], label: 'cats', tag: ['outdoor'], exclude: '0123456789abcdef' };
  const queries: Query[] = [
    new Float32Array(512), new Float64Array(512), [0.1, 0.2], { vector: [0.1, 0.2] }, { vector: new Float32Array(2) },
    { text: 'a cat on a sofa' }, { image: photo }, { image: new Uint8Array(4) }, { audio: recording },
  ];
  for (const query of queries) lines.push(describeAnswer(await db.search(query, { k: 5, filter })));
  const vector: Float32Array = await db.embed({ text: 'a cat on a sofa' });
  lines.push(describeAnswer(await db.search(vector)));
  lines.push(describeAnswer(await db.similar('0123456789abcdef', { k: 3, filter: { modality: 'text' } })));
  lines.push(describeVote(await db.classify(vector, { k: 5, threshold: 0.2, minConfidence: 0.6, filter })));
  const both: SearchAnswer = await db.search(vector, { k: 3, classify: { k: 5, threshold: 0.1 }, onePerDocument: false });
  lines.push(String(both.results[0]?.matchedItems ?? 1));
  const unmarked: SearchAnswer = await db.search(vector, { k: 3, groupDuplicates: false });
  const copyOf: string | undefined = unmarked.results[0]?.duplicateOf;
  lines.push(copyOf ?? '', String(unmarked.results[0]?.duplicates ?? 0));
  if (both.classification) lines.push(describeVote(both.classification));
  lines.push(describeVote(await db.classify({ text: 'a dog' })));
  const item: ItemMetadata | undefined = db.item('0123456789abcdef');
  const items: ItemMetadata[] = db.items();
  lines.push(item?.title ?? '', String(items.length));

  lines.push(describeRefresh(await db.refresh()));
  const watching: WatchOptions = {
    onUpdate: (update) => { lines.push(describeRefresh(update)); },
    onError: (error) => { lines.push(describeError(error)); },
    eventsUrl: '/api/events',
    pollInterval: 1000,
  };
  const stop: () => void = db.watch(watching);
  stop();
  db.watch()();
  db.close();

  try {
    await db.search({ text: 'after close' });
  } catch (error) {
    if (error instanceof MosaicError) lines.push(describeError(error));
  }
  const made = new MosaicError('network_error', 'https://example.com/manifest.json: HTTP 503', { status: 503 });
  const plain = new MosaicError('invalid_argument', 'no fetch: pass options.fetch');
  lines.push(describeError(made), describeError(plain));
  return lines;
}
