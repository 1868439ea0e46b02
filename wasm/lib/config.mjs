// Settings of an open index: the caller's options, else config.json beside the manifest (written by
// `mosaic export`), else defaults. The wasm modules and the local model's files sit beside mosaic.mjs,
// one folder above this file.
import { MosaicError, messageOf } from './errors.mjs';
import { readFileUrl, utf8 } from './fetching.mjs';
import { resolveUrl, withTrailingSlash } from './urls.mjs';

/** @typedef {import('./fetching.mjs').FetchFunction} FetchFunction */

const apiFolder = new URL('../', import.meta.url);
export const defaultCoreUrl = () => new URL('mosaic-core.mjs', apiFolder);
export const defaultModelModuleUrl = () => new URL('mosaic-model.mjs', apiFolder);
const defaultModelBaseUrl = () => new URL('model/', apiFolder);

/** Shards downloaded at once. */
export const defaultConcurrency = 4;

/** @typedef {import('../mosaic').OpenOptions} OpenOptions  the options of Mosaic.open */

/**
 * config.json, its addresses resolved: {proxyUrl, modelBaseUrl}, each when set. Optional: no file
 * (any HTTP error, or the HTML page that single-page-app hosts answer for every path) means no
 * settings; a file that is there but is not a JSON object is an error, not something to guess around.
 * @param {FetchFunction} fetchFunction
 * @param {URL} base  the index's folder
 * @returns {Promise<{ proxyUrl?: string, modelBaseUrl?: string }>}
 */
export async function readConfig(fetchFunction, base) {
  const url = new URL('config.json', base);
  let text;
  if (url.protocol === 'file:') {
    try {
      text = utf8.decode(await readFileUrl(url));
    } catch {
      return {};
    }
  } else {
    let response;
    try {
      response = await fetchFunction(url.href, { cache: 'no-cache' });
    } catch {
      return {};  // the manifest's own fetch reports an unreachable host
    }
    if (!response.ok || (response.headers.get('content-type') ?? '').startsWith('text/html')) return {};
    text = await response.text();
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (cause) {
    throw new MosaicError('invalid_json', `${url.href}: ${messageOf(cause)}`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new MosaicError('invalid_json', `${url.href} must hold a JSON object`);
  /** @type {{ proxyUrl?: string, modelBaseUrl?: string }} */
  const resolved = {};
  for (const key of /** @type {const} */ (['proxyUrl', 'modelBaseUrl'])) {
    if (config[key] === undefined) continue;
    if (typeof config[key] !== 'string') throw new MosaicError('invalid_json', `${url.href}: ${key} must be a string`);
    // Relative addresses in config.json are relative to it, not to the page.
    resolved[key] = new URL(config[key], url).href;
  }
  return resolved;
}

/**
 * Where queries are embedded and the local model is found.
 * @param {OpenOptions} options
 * @param {{ proxyUrl?: string, modelBaseUrl?: string }} config  config.json's settings
 * @param {URL} base  the index's folder
 */
export function resolveSettings(options, config, base) {
  // Same origin by default: the page's, else (Node) the index's. An opaque origin (file:) has no
  // proxy; that is reported when a query needs one, since text queries of a local-model index never do.
  const origins = [globalThis.location?.origin, base.origin].filter((origin) => origin && origin !== 'null');
  const proxy = options.proxyUrl ?? config.proxyUrl ?? origins[0];
  return {
    /** @type {URL | undefined} */
    proxyBase: proxy === undefined ? undefined : withTrailingSlash(resolveUrl(proxy, 'proxyUrl')),
    modelBaseUrl: withTrailingSlash(resolveUrl(options.modelBaseUrl ?? config.modelBaseUrl ?? defaultModelBaseUrl().href, 'modelBaseUrl')),
    modelModuleUrl: options.modelModuleUrl ? resolveUrl(options.modelModuleUrl, 'modelModuleUrl') : defaultModelModuleUrl(),
    concurrency: options.concurrency ?? defaultConcurrency,
  };
}
