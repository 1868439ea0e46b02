// A query as the vector this index searches: a vector as it is, text through the local model in the
// page (an index built with it) or the embedding proxy (any other model), images and audio through the
// proxy after preparing them in wasm. Every vector ends prepared by the core (truncated, normalized),
// never by JavaScript.
import { MosaicError, refusal, unwrap } from './errors.mjs';
import { fetchResponse } from './fetching.mjs';
import { bytesOf, defaultImageMaxSide, mediaSniffBytes, prepareAudio, toBase64 } from './media_preparation.mjs';
import { loadLocalModel } from './model_loader.mjs';

/**
 * @typedef {import('./index_state.mjs').IndexState} IndexState
 * @typedef {import('../mosaic').Query} Query
 * @typedef {{ text: string } | { mime_type: string, data: string }} Part  one part of a Gemini-style input
 */

/**
 * True when the index was built with the local text model: its text queries never leave the page.
 * @param {IndexState} state
 */
export function usesLocalModel(state) {
  return state.generation.manifest.model === state.core.localModelId;
}

/**
 * The query's vector as its model gave it (or as the caller did): the core prepares it (truncation
 * to the index's dimensions, normalization, quantization) once, in the search itself.
 * @param {IndexState} state
 * @param {Query} query  a vector (Float32Array or array), {vector}, {text}, {image} or {audio}
 * @returns {Promise<Float32Array | Float64Array | number[]>}
 */
export async function queryVector(state, query) {
  return (await embeddedQuery(state, query)).vector;
}

/**
 * queryVector, and when the local model cut a text query to its window, what it read:
 * `truncation` {tokenCount, tokensRead, wordCount, wordsRead}, counted by the core's tokenizer.
 * @param {IndexState} state
 * @param {Query} query
 * @returns {Promise<{ vector: Float32Array | Float64Array | number[], truncation?: import('../mosaic').QueryTruncation }>}
 */
export async function embeddedQuery(state, query) {
  state.checkOpen();
  if (Array.isArray(query) || query instanceof Float32Array || query instanceof Float64Array) return { vector: query };
  if (query && typeof query === 'object') {
    if ('vector' in query && query.vector !== undefined) return { vector: query.vector };
    if ('text' in query && query.text !== undefined) return embedText(state, query.text);
    if ('image' in query && query.image !== undefined) return { vector: await embedImage(state, query.image) };
    if ('audio' in query && query.audio !== undefined) return { vector: await embedAudio(state, query.audio) };
  }
  throw new MosaicError('invalid_argument', 'a query is a vector (Float32Array or array), {vector}, {text}, {image} or {audio}');
}

/**
 * @param {IndexState} state
 * @param {unknown} text
 */
async function embedText(state, text) {
  if (typeof text !== 'string') throw new MosaicError('invalid_argument', 'query.text must be a string');
  // The proxy's model counts its own tokens and reports no cut: only the local model's is known here.
  if (!usesLocalModel(state)) return { vector: await embedRemote(state, [{ text }]) };
  const { modelModuleUrl, modelBaseUrl } = state.settings;
  const model = await loadLocalModel({ modelModuleUrl, modelBaseUrl, fetchFunction: state.fetchFunction });
  state.checkOpen();
  // The model reads NFKC text, as its reference does (the native side normalizes with ICU).
  const embedded = model.embed(text.normalize('NFKC'));
  if (!embedded.ok) throw refusal(embedded);
  if (!embedded.truncated) return { vector: embedded.vector };
  const { tokenCount, tokensRead, wordCount, wordsRead } = embedded;
  return { vector: embedded.vector, truncation: { tokenCount, tokensRead, wordCount, wordsRead } };
}

/**
 * @param {IndexState} state
 * @param {string} kind
 */
function refuseMediaWithLocalModel(state, kind) {
  if (!usesLocalModel(state)) return;
  throw new MosaicError('unsupported_media', `this index was built with the local text model (${state.generation.manifest.model}), ` +
    `which embeds text only: search it by text, by vector or with "more like this", not by ${kind}`);
}

/**
 * As the proxy and the indexer do: decoding proves the pixels are whole, and only an image larger
 * than needed, or in a format Gemini does not take (GIF, BMP, ...), is sent re-encoded as JPEG.
 * @param {IndexState} state
 * @param {import('./media_preparation.mjs').MediaBytes} image
 */
async function embedImage(state, image) {
  refuseMediaWithLocalModel(state, 'image');
  const bytes = await bytesOf(image, 'query.image');
  const prepared = unwrap(state.core.prepareImage(bytes, state.options.imageMaxSide ?? defaultImageMaxSide, 85));
  const detected = state.core.detectMedia(bytes.subarray(0, mediaSniffBytes));
  const asItIs = !prepared.resized && detected.kind === 'image' && detected.acceptedByGemini;
  const part = asItIs ? { mime_type: detected.mimeType, data: toBase64(bytes) } : { mime_type: prepared.mimeType, data: toBase64(prepared.bytes) };
  return embedRemote(state, [part]);
}

/**
 * @param {IndexState} state
 * @param {import('./media_preparation.mjs').MediaBytes} audio
 */
async function embedAudio(state, audio) {
  refuseMediaWithLocalModel(state, 'audio');
  let prepared;
  try {
    prepared = await prepareAudio(await bytesOf(audio, 'query.audio'), { coreUrl: state.options.coreUrl });
  } catch (error) {
    if (error instanceof MosaicError) error.message = `query.audio: ${error.message}`;
    throw error;
  }
  return embedRemote(state, [{ mime_type: prepared.mimeType, data: toBase64(prepared.bytes) }]);
}

/**
 * POST /api/embed on the proxy (README, "mosaic serve and its HTTP API"): the API key stays there.
 * The answer must come from the model the index was built with (model_mismatch otherwise).
 * @param {IndexState} state
 * @param {Part[]} parts
 */
async function embedRemote(state, parts) {
  const manifest = state.generation.manifest;
  const proxyBase = state.settings.proxyBase;
  if (!proxyBase) {
    throw new MosaicError('invalid_argument', `this index (model ${manifest.model}) needs an embedding proxy for queries: pass options.proxyUrl or set proxyUrl in config.json`);
  }
  const url = new URL('api/embed', proxyBase);
  const body = JSON.stringify({ inputs: [{ parts }], task: 'query', dimensions: manifest.dimensions });
  const response = await fetchResponse(state.fetchFunction, url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new MosaicError('network_error', `${url.href}: HTTP ${response.status}, not a JSON answer`, { status: response.status });
  }
  if (!response.ok) {
    const error = answer?.error ?? {};
    throw new MosaicError(error.code ?? 'network_error', error.message ?? `${url.href}: HTTP ${response.status}`, { status: response.status });
  }
  if (answer.model !== undefined && answer.model !== manifest.model) {
    throw new MosaicError('model_mismatch', `${url.href} embeds with ${answer.model}, but this index was built with ${manifest.model}`);
  }
  const vector = answer.embeddings?.[0];
  if (!Array.isArray(vector)) throw new MosaicError('network_error', `${url.href}: the answer has no embedding`);
  state.checkOpen();
  return vector;
}
