// TypeScript declarations of mosaic.mjs, Mosaic's JavaScript API (see the README, "JavaScript API").

/** The core's error codes (shared/core/result.hpp) and the few only the JavaScript layer meets. */
export type MosaicErrorCode =
  | 'invalid_argument' | 'dimension_mismatch' | 'zero_vector' | 'non_finite_value'
  | 'truncated_header' | 'bad_magic' | 'unsupported_version' | 'bad_header' | 'unsupported_quantization'
  | 'bad_dimensions' | 'size_overflow' | 'offset_out_of_range' | 'truncated_payload' | 'trailing_bytes'
  | 'misaligned_buffer' | 'checksum_mismatch' | 'bad_payload_value'
  | 'invalid_json' | 'invalid_manifest' | 'unsupported_manifest_version' | 'invalid_metadata'
  | 'invalid_model' | 'invalid_utf8' | 'invalid_media' | 'unsupported_media' | 'media_too_large'
  | 'upstream_unavailable' | 'upstream_rejected' | 'rate_limited'
  /** A file could not be fetched; `status` holds the HTTP status when there was one. */
  | 'network_error'
  /** The shard store failed (reported through onError; loading goes on from the network). */
  | 'storage_error'
  /** The embedding proxy embeds with another model than the index was built with. */
  | 'model_mismatch'
  | (string & {});

export class MosaicError extends Error {
  /** `details` become properties of the error (file, status). */
  constructor(code: MosaicErrorCode, message: string, details?: { file?: string; status?: number });
  readonly name: 'MosaicError';
  readonly code: MosaicErrorCode;
  /** For shard failures: the file (shards/<hash>.bin) that was refused or could not be fetched. */
  file?: string;
  /** For network_error and proxy errors: the HTTP status. */
  status?: number;
}

export type Modality = 'text' | 'image' | 'audio' | 'video' | 'pdf';

/** One entry of items/<hash>.json, with the file's own field names (docs/format.md). */
export interface ItemMetadata {
  id: string;  // 16 lower-case hex digits
  title: string;
  source: string;
  modality: Modality;
  mime_type: string;
  label?: string;
  tags?: string[];
  thumbnail?: string;
  /** A playable/openable copy of the item inside the index (media/<sha256>.wav, .mp3, .mp4, .mov, .pdf); its type is mime_type. */
  media?: string;
  snippet?: string;
  /** Where a chunk starts in its source: bytes (text), milliseconds (audio, a video segment), the page from 1 (a PDF page or the first page of a PDF part). */
  source_offset?: number;
  /** A part of a PDF: its last page (inclusive); source_offset is its first. */
  last_page?: number;
  embedded_from?: 'caption';
  /** The snippet and keyword text were read out of the medium: a PDF's text layer, the words in an image (OCR), or the words heard in its sound. */
  text_from?: 'pdf' | 'ocr' | 'speech';
  /** With text_from 'speech': the words heard, in time order, milliseconds from the start of the item's own sound (its media copy). */
  transcript?: TranscriptSegment[];
}

export interface TranscriptSegment { start_ms: number; end_ms: number; text: string }

export interface ManifestFile { hash: string; file: string; bytes: number }
export interface ManifestShard extends ManifestFile { items: number; metadata: ManifestFile }
/** A partition of a partitioned site: a shard entry's fields and the size of its head (header, centre, codes, ids, residual statistics). */
export interface ManifestPartition extends ManifestShard { headBytes: number }
/** manifest.json as accepted by the core, camel-cased. */
export interface Manifest {
  formatVersion: number;
  generation: number;
  model: string;
  dimensions: number;
  fullDimensions: number;
  quantization: 'f32' | 'i8';
  metric: 'cosine';
  itemCount: number;
  shards: ManifestShard[];
  /** The keyword index's directory (format version 2), when the site has one. */
  keywords?: { hash: string; file: string; bytes: number };
  /** 'flat': every shard is loaded at open and searched exactly. 'partitioned': `shards` is empty; the centroid table is loaded at open and each query fetches the partitions it probes. */
  layout: 'flat' | 'partitioned';
  /** Partitioned: one entry per centroid, in centroid order. */
  partitions?: ManifestPartition[];
  /** Partitioned: the centroid table (an int8 shard of one row per partition). */
  centroids?: ManifestFile & { items: number };
}

/** Content-addressed file storage; every method is async. Only bytes the core accepted are put. */
export interface ShardStore {
  get(hash: string): Promise<Uint8Array | undefined>;
  put(hash: string, bytes: Uint8Array): Promise<void>;
  delete(hash: string): Promise<void>;
  keys(): Promise<string[]>;
}

export interface Progress {
  loadedBytes: number;
  totalBytes: number;
  shardsLoaded: number;
  shardsFailed: number;
  shardsTotal: number;
}

export interface OpenOptions {
  onProgress?: (progress: Progress) => void;
  /** Refused shards, fetch failures and store failures, as they happen. */
  onError?: (error: MosaicError) => void;
  /** Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Default: the Cache API, else IndexedDB, else (Node) a memory store per index for the process. null: none. */
  storage?: ShardStore | null;
  /** Where POST /api/embed lives. Default: config.json's proxyUrl, else the page's origin, else the index's. */
  proxyUrl?: string;
  /** The local model's files (model.json, vocab.json, weights). Default: config.json's modelBaseUrl, else model/ beside mosaic.mjs. */
  modelBaseUrl?: string;
  modelModuleUrl?: string;
  coreUrl?: string;
  /** Shards downloaded at once (default 4). */
  concurrency?: number;
  /** Image queries larger than this longest side are resized and sent as JPEG (default 1024); PNG and JPEG that fit go as they are. */
  imageMaxSide?: number;
  /** Start `db.watch({onUpdate, onError, eventsUrl, pollInterval})` once open. */
  watch?: boolean;
  onUpdate?: (update: RefreshResult) => void;
  eventsUrl?: string;
  pollInterval?: number;
  /** Partitioned sites: the most partitions held in memory at once, in MB of their files (default 256); the least recently used go first. */
  maxMemoryMB?: number;
  /** Partitioned sites: fetch every partition at open (for offline use; `ready` resolves when done). */
  prefetch?: boolean;
  /** Partitioned sites: a query fetches each probed partition's head and then only the rows it re-ranks, by HTTP Range requests; false fetches whole partitions; true always uses Range. Not given (the default): Range until the heads and rows fetched come to more than two thirds of their whole partitions' bytes (after 8 partitions), then partitions not held yet come whole (`stats.rangesStopped`). A host that ignores Range is detected and gets whole partitions. */
  rangeRequests?: boolean;
}

/** What `db.refresh()` did. `added`: shard files loaded for the new generation; `removed`: files of the old one it no longer names. */
export interface RefreshResult {
  changed: boolean;
  generation: number;
  previousGeneration: number;
  added: string[];
  removed: string[];
  /** Shards both generations name, kept without loading them again. */
  kept: number;
  /** Bytes downloaded by this refresh. */
  bytes: number;
  /** New shards found in the store instead of the network. */
  shardsFromStore: number;
  items: number;
  itemsBefore: number;
}

export interface WatchOptions {
  /** Called after each refresh that changed the index. */
  onUpdate?: (update: RefreshResult) => void;
  /** Called for each failed refresh (the open index stays as it was). Default: open's onError. */
  onError?: (error: MosaicError) => void;
  /** Default: /api/events on the index's origin (mosaic serve). Without it the manifest is polled. */
  eventsUrl?: string;
  /** Milliseconds between polls of the manifest where there are no events (default 60000). */
  pollInterval?: number;
}

/** {modality, label, tag} as in POST /api/search (a string or a list each), plus item ids to leave out. */
export interface Filter {
  modality?: Modality | Modality[];
  /** Any of these labels. */
  label?: string | string[];
  /** All of these tags. */
  tag?: string | string[];
  exclude?: string | string[];
}

export type Query =
  | Float32Array | Float64Array | number[]
  | { vector: Float32Array | number[] }
  | { text: string }
  /** A text whose vector the page already has (db.embed): the vector is searched as it is, the text by the keyword index. */
  | { text: string; vector: Float32Array | number[] }
  | { image: Blob | Uint8Array | ArrayBuffer }
  | { audio: Blob | Uint8Array | ArrayBuffer };

export interface SearchResult {
  id: string;
  /** Cosine similarity (an estimate from int8 codes for i8 indexes), the same number `mosaic query` prints. */
  score: number;
  item: ItemMetadata;
  /** Whether the result is a close match for the query, as the core decides it for the index's model (README, "Honest relevance"): a meaning similarity at least `closeMatchSimilarity`, or the query's words held (keyword and hybrid). True for every result when the model has no measured figure. Absent on a vote's neighbours. */
  close?: boolean;
  /** Vector and hybrid searches: the cosine similarity of the query and the item (in hybrid mode `score` is the fused score, this the meaning similarity). */
  similarity?: number;
  /** With `groupDuplicates` (the default): this result's stored vector is near-identical to an earlier result's (the same picture twice, two copies of a text), whose id this is; the core decides it for the index's model (README, "Near-duplicates"). A page shows it folded under that result. */
  duplicateOf?: string;
  /** With `groupDuplicates`: how many later results are near-duplicates of this one (present when at least one). */
  duplicates?: number;
  /** With one result per document (the default): how many of its chunks or segments matched, when more than one. */
  matchedItems?: number;
  /** Keyword and hybrid searches: the query's terms (as analyzed: folded, stemmed) that the item holds. */
  matchedTerms?: string[];
  /** Keyword and hybrid searches: where the query's terms occur in item.title and item.snippet, as [start, end) string indexes; for an item with a transcript, the segments (indexes into item.transcript) whose text holds them, with the same ranges in that segment's text. */
  highlights?: { title: [number, number][]; snippet: [number, number][]; transcript?: { segment: number; spans: [number, number][] }[] };
  /** item.thumbnail resolved against the index's URL. */
  thumbnailUrl?: string;
  /** item.media resolved against the index's URL. */
  mediaUrl?: string;
}

/** How results are ranked: by the vector search, the keyword index (BM25F), or both fused (the default for a text query on an index with keywords). */
export type SearchMode = 'hybrid' | 'vector' | 'keyword';

export interface SearchOptions {
  k?: number;
  filter?: Filter;
  classify?: ClassifyOptions;
  onePerDocument?: boolean;
  /** Default true: near-duplicates are marked (`duplicateOf`, `duplicates`) so a page can show one card per group; false leaves them unmarked. Results stay in rank order either way. */
  groupDuplicates?: boolean;
  /** Default: 'hybrid' for a {text} query on an index with a keyword index, else 'vector'. 'keyword' embeds nothing. "Quoted phrases" match as phrases. */
  mode?: SearchMode;
  /** Hybrid: the vector side's weight in the fusion, 0..1 (default 0.2). */
  vectorWeight?: number;
  /** Partitioned sites: partitions probed (default 16) and candidates re-ranked exactly (default: one per 16 rows scanned, at least 256). */
  nprobe?: number;
  rerankDepth?: number;
}

/** What the local model read of a text query longer than its window (128 tokens), counted by the core's tokenizer. */
export interface QueryTruncation {
  tokenCount: number;
  /** The tokens the model read: its window. */
  tokensRead: number;
  /** Words as the tokenizer sees them (split at spaces). */
  wordCount: number;
  /** The words the window read, the last one perhaps in part: "only the first `wordsRead` words were used". */
  wordsRead: number;
}

export interface SearchAnswer {
  /** The mode that ranked the results. */
  mode: SearchMode;
  results: SearchResult[];
  /** A text query the local model cut to its window: what it read. Absent when nothing was cut. */
  truncation?: QueryTruncation;
  /** The label vote, when the search was asked to `classify` (from the same scan). */
  classification?: Classification;
  /** True while some shards are not searchable yet (still loading, or refused: see db.errors). */
  partial: boolean;
  shardsSearched: number;
  shardsTotal: number;
  milliseconds: number;
  /** Partitioned sites: the results come from the partitions probed, not an exact scan of every item. */
  approximate?: boolean;
  /** Partitioned sites: partitions this search downloaded (or read from the store), and partitions it read. */
  partitionsFetched?: number;
  partitionsRead?: number;
}

/** The label vote: the k nearest labelled items (passing the filter) vote, weighted by similarity. */
export interface ClassifyOptions {
  /** Voters, default 5. */
  k?: number;
  /** Neighbours less similar than this do not vote (default 0). */
  threshold?: number;
  /** A winner with a smaller share of the votes than this (0..1) is 'unknown' (default 0). */
  minConfidence?: number;
}

export interface Classification {
  /** The winning label, or 'unknown' when no labelled neighbour reaches the threshold or the winner's confidence is below minConfidence. */
  label: string;
  known: boolean;
  /** The winner's share of the neighbours' similarity, 0..1 (kept when it is below minConfidence). */
  confidence: number;
  votes: number;
  considered: number;
  /** The highest similarity among the winner's voters. */
  bestScore: number;
  neighbours: SearchResult[];
  partial: boolean;
}

export interface Stats {
  generation: number;
  items: number;
  itemsTotal: number;
  shardsTotal: number;
  shardsLoaded: number;
  shardsFailed: number;
  /** Shards with at least one file downloaded in this open. */
  shardsFromNetwork: number;
  /** Shards read entirely from the store. */
  shardsFromStore: number;
  bytesTotal: number;
  bytesLoaded: number;
  bytesFromNetwork: number;
  bytesFromStore: number;
  /** Stored files the manifest no longer names, removed at open and at each refresh. */
  evicted: number;
  /** Bytes of the keyword index (directory and term files) fetched for queries so far. */
  keywordBytesLoaded: number;
  /** Refreshes that swapped in a new generation. */
  refreshes?: number;
  /** True for a partitioned site (then shards* count partitions). */
  partitioned: boolean;
  /** Partitioned: bytes of the centroid table fetched at open. */
  centroidBytes: number;
  /** Partitioned: partitions dropped from memory under maxMemoryMB. */
  partitionsEvicted: number;
  /** Partitioned: bytes of the partitions (and their item metadata) held in memory now. */
  memoryBytes: number;
  /** Partitioned: Range requests made for partition rows so far. */
  rangeRequests: number;
  /** Partitioned: Range reads were found not to pay on this site (see OpenOptions.rangeRequests): partitions not held yet are fetched whole. */
  rangesStopped: boolean;
}

export interface PreparedImage {
  bytes: Uint8Array;
  mimeType: 'image/jpeg';
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
  resized: boolean;
}

export interface PreparedAudio {
  bytes: Uint8Array;
  mimeType: 'audio/wav' | 'audio/mpeg';
  /** True when the audio was decoded (Web Audio) and re-encoded as mono 16-bit PCM WAV. */
  converted: boolean;
  /** The length of `bytes`, in seconds. */
  seconds: number;
  /** The length of the whole recording, in seconds. */
  sourceSeconds: number;
  /** True when the recording was longer than maxSeconds and only its beginning is in `bytes`. */
  truncated: boolean;
}

/** The longest audio Gemini embeds (80 s); prepareAudio cuts longer recordings to their first 80 s. */
export const maximumAudioSeconds: number;

export class Mosaic {
  /** Not for callers: Mosaic.open makes the instance (the constructor takes its internal state). */
  private constructor();
  /**
   * Fetches manifest.json (no cache) and refuses one the core does not understand
   * (unsupported_manifest_version, invalid_manifest, ...), then loads the shards in parallel.
   * Resolves once the first shard is searchable; rejects when every shard fails.
   */
  static open(baseUrl: string | URL, options?: OpenOptions): Promise<Mosaic>;
  /** Decodes, downsizes and re-encodes an image as JPEG, in wasm (PNG, JPEG, GIF, BMP, TGA, PNM). */
  static prepareImage(bytes: Blob | Uint8Array | ArrayBuffer, options?: { maxSide?: number; quality?: number; coreUrl?: string }): Promise<PreparedImage>;

  /**
   * Audio as the embedding proxy takes it: WAV and MP3 as they are, or cut to their first maxSeconds
   * (default 80) at a frame boundary in wasm; other audio (a MediaRecorder's WebM/Opus or MP4/AAC, Ogg,
   * FLAC, ...) and WAVs over 8 MB after cutting decoded with Web Audio (browsers only) to mono at
   * sampleRate (default 16000), cut to maxSeconds and written as 16-bit PCM WAV in wasm.
   * `db.search({ audio })` does this itself.
   */
  static prepareAudio(audio: Blob | Uint8Array | ArrayBuffer, options?: { maxSeconds?: number; sampleRate?: number; coreUrl?: string }): Promise<PreparedAudio>;
  /** A 16-bit PCM WAV of float samples in [-1, 1] (interleaved when channels > 1, default 1), written in wasm. */
  static encodeWav(samples: Float32Array | number[], options: { sampleRate: number; channels?: number; coreUrl?: string }): Promise<Uint8Array>;

  readonly manifest: Manifest;
  readonly stats: Stats;
  readonly complete: boolean;
  readonly errors: MosaicError[];
  readonly model: string;
  /** True when text queries are embedded in the page by the local model (no server needed). */
  readonly usesLocalModel: boolean;
  /** Cosine similarity from which a result is a close match for this index's model (measured per model in the core: README, "Honest relevance"); undefined when the model has no measured figure. */
  readonly closeMatchSimilarity: number | undefined;
  /** Resolves when every shard has loaded or failed and the loaded ones are written to the store. Never rejects. */
  readonly ready: Promise<{ shardsLoaded: number; shardsFailed: number; errors: MosaicError[] }>;

  /** With `classify`, the answer also holds the label vote, from the same scan. */
  search(query: Query, options?: SearchOptions): Promise<SearchAnswer>;
  /** The query's vector as this index searches it (embedded, truncated, normalized), to search it again without embedding it again. */
  embed(query: Query): Promise<Float32Array>;
  /** embed(), with `truncation` when the local model read only the first words of a text query. */
  embedQuery(query: Query): Promise<{ vector: Float32Array; truncation?: QueryTruncation }>;
  /** "More like this": the item's stored vector, no embedding call; the item itself is left out. */
  similar(itemId: string, options?: { k?: number; filter?: Filter; classify?: ClassifyOptions; onePerDocument?: boolean; groupDuplicates?: boolean }): Promise<SearchAnswer>;
  /** The kNN label vote alone (search with `classify` gives it with the results, from one scan). */
  classify(query: Query, options?: ClassifyOptions & { filter?: Filter }): Promise<Classification>;
  item(id: string): ItemMetadata | undefined;
  /** Metadata of every loaded item, in manifest order (made from the core on the first call per shard). */
  items(): ItemMetadata[];
  /**
   * Fetches the manifest again; for a new generation loads only the new shards (store first, checked as
   * at open), keeps the shards both generations name, swaps the index in at once (searches meanwhile use
   * the old one) and evicts files no longer named. On a partitioned site it loads the new centroid table
   * and, of the partitions it holds, only those whose files changed. Rejects with a MosaicError, leaving the open index as
   * it was, when the manifest or a new shard is refused or cannot be fetched.
   */
  refresh(): Promise<RefreshResult>;
  /** Partitioned sites: fetches every partition now (memory within maxMemoryMB, and the store) for offline use; flat sites: nothing to do. */
  prefetch(): Promise<{ partitions: number; bytes: number }>;
  /** Refreshes on each event of the server's /api/events, else polls the manifest (and on page visibility). Returns a stop function. */
  watch(options?: WatchOptions): () => void;
  /** Frees the wasm memory of every shard and stops watching. */
  close(): void;
}

export function loadCore(options?: { coreUrl?: string }): Promise<unknown>;
export function memoryStore(): ShardStore;
export function cacheStore(name: string): ShardStore;
export function indexedDbStore(name: string): ShardStore;
export function defaultStore(baseUrl: string | URL): ShardStore;
export default Mosaic;
