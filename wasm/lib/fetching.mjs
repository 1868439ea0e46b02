// Reading files: http(s) through fetch, file: URLs through node:fs (Node only). Every failure is a
// MosaicError network_error naming the URL (and the HTTP status, when there was one).
import { MosaicError, messageOf } from './errors.mjs';

/** @typedef {(input: string, init?: RequestInit) => Promise<Response>} FetchFunction */

export const utf8 = new TextDecoder();

/** @param {URL} url */
export async function readFileUrl(url) {
  // Kept out of static imports so that a browser, or a bundler, never resolves node:fs.
  const moduleName = 'node:fs/promises';
  const { readFile } = await import(/* @vite-ignore */ moduleName);
  try {
    return new Uint8Array(await readFile(url));
  } catch (cause) {
    throw new MosaicError('network_error', `cannot read ${url.href}: ${messageOf(cause)}`);
  }
}

/**
 * The response, whatever its status; a fetch that throws (no network, CORS) is a network_error.
 * @param {FetchFunction} fetchFunction
 * @param {URL} url
 * @param {RequestInit} [init]
 */
export async function fetchResponse(fetchFunction, url, init) {
  try {
    return await fetchFunction(url.href, init);
  } catch (cause) {
    throw new MosaicError('network_error', `cannot fetch ${url.href}: ${messageOf(cause)}`);
  }
}

/**
 * @param {URL} url
 * @param {Response} response
 */
function httpError(url, response) {
  return new MosaicError('network_error', `${url.href}: HTTP ${response.status}`, { status: response.status });
}

/**
 * A whole file, refused unless the answer is a success.
 * @param {FetchFunction} fetchFunction
 * @param {URL} url
 * @param {RequestInit} [init]
 */
export async function readBytes(fetchFunction, url, init) {
  if (url.protocol === 'file:') return readFileUrl(url);
  const response = await fetchResponse(fetchFunction, url, init);
  if (!response.ok) throw httpError(url, response);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * manifest.json, never from a cache. With the ETag of the copy in hand, an unchanged manifest costs a
 * 304 and no body: {text, etag} or {notModified: true}.
 * @param {FetchFunction} fetchFunction
 * @param {URL} url
 * @param {string} [etag]
 * @returns {Promise<{ text: string, etag: string | undefined, notModified?: undefined } | { notModified: true, etag: string, text?: undefined }>}
 */
export async function fetchManifest(fetchFunction, url, etag) {
  if (url.protocol === 'file:') return { text: utf8.decode(await readFileUrl(url)), etag: undefined };
  // Only where it costs no CORS preflight (same origin, or Node): a host elsewhere may not allow the header.
  const sameOrigin = !globalThis.location || globalThis.location.origin === url.origin;
  /** @type {Record<string, string>} */
  const headers = etag && sameOrigin ? { 'if-none-match': etag } : {};
  // 'no-store': the browser's HTTP cache neither answers nor turns our 304 into a 200.
  const response = await fetchResponse(fetchFunction, url, { cache: 'no-store', headers });
  if (response.status === 304 && etag) return { notModified: true, etag };
  if (!response.ok) throw httpError(url, response);
  return { text: await response.text(), etag: response.headers.get('etag') ?? undefined };
}

/**
 * Reads a file with byte-level progress. A server that sends more than the manifest says is cut
 * off one byte past it: the core then refuses the bytes by their hash, and memory stays bounded.
 * @param {FetchFunction} fetchFunction
 * @param {URL} url
 * @param {number} expectedBytes
 * @param {(count: number) => void} onBytes  told each chunk's length as it arrives
 */
export async function download(fetchFunction, url, expectedBytes, onBytes) {
  if (url.protocol === 'file:') {
    const bytes = await readFileUrl(url);
    onBytes(bytes.length);
    return bytes;
  }
  const response = await fetchResponse(fetchFunction, url);
  if (!response.ok) throw httpError(url, response);
  return readBody(response, expectedBytes, onBytes);
}

/**
 * Bytes [start, end) of a file by an HTTP Range request: {partial: true, bytes} when the host answered
 * 206 with exactly that range; {partial: false, bytes} with the whole file when it ignored the Range
 * header and answered 200 (plain static hosts without Range support, e.g. python3 -m http.server): the
 * caller then uses the whole file it has anyway. A file: URL is read and sliced. A 206 for another
 * range, or of another length, is a network_error (a proxy that mangles ranges must not feed the core
 * rows of the wrong place).
 * @param {FetchFunction} fetchFunction
 * @param {URL} url
 * @param {number} start
 * @param {number} end  exclusive
 * @param {number} fileBytes  the whole file's size (the manifest's), the most a 200 may bring
 * @param {(count: number) => void} onBytes
 * @returns {Promise<{ partial: boolean, bytes: Uint8Array }>}
 */
export async function fetchRange(fetchFunction, url, start, end, fileBytes, onBytes) {
  if (url.protocol === 'file:') {
    const whole = await readFileUrl(url);
    const bytes = whole.slice(start, end);
    onBytes(bytes.length);
    return { partial: true, bytes };
  }
  // 'no-store': Chromium's HTTP cache would otherwise keep each range apart; the store keeps them.
  const response = await fetchResponse(fetchFunction, url, { headers: { range: `bytes=${start}-${end - 1}` }, cache: 'no-store' });
  if (response.status === 200) {
    const bytes = await readBody(response, fileBytes, onBytes);
    return { partial: false, bytes };
  }
  if (response.status !== 206) throw httpError(url, response);
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  if (!range || Number(range[1]) !== start || Number(range[2]) !== end - 1) {
    await response.body?.cancel();
    throw new MosaicError('network_error', `${url.href}: asked for bytes ${start}-${end - 1}, the host sent ${response.headers.get('content-range') ?? 'no Content-Range'}`);
  }
  const bytes = await readBody(response, end - start, onBytes);
  if (bytes.length !== end - start) {
    throw new MosaicError('network_error', `${url.href}: bytes ${start}-${end - 1} came as ${bytes.length} bytes`);
  }
  return { partial: true, bytes };
}

/**
 * A response's body, cut one byte past `expectedBytes` (memory stays bounded; the caller refuses it).
 * @param {Response} response
 * @param {number} expectedBytes
 * @param {(count: number) => void} onBytes
 */
async function readBody(response, expectedBytes, onBytes) {
  if (!response.body || typeof response.body.getReader !== 'function') {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes(bytes.length);
    return bytes;
  }
  const limit = expectedBytes + 1;
  const buffer = new Uint8Array(limit);
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const taken = Math.min(value.length, limit - length);
    buffer.set(value.subarray(0, taken), length);
    length += taken;
    onBytes(taken);
    if (length === limit) {
      await reader.cancel();
      break;
    }
  }
  return buffer.subarray(0, length);
}
