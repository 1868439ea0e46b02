// The wasm search module (mosaic-core.mjs: shard and manifest decoding, top-k, the label vote, query
// and media preparation), loaded once per URL and shared by every open index.
import { defaultCoreUrl } from './config.mjs';
import { MosaicError } from './errors.mjs';
import { readFileUrl } from './fetching.mjs';
import { resolveUrl } from './urls.mjs';

/**
 * An emscripten module's instance. Emscripten's ES6 loader fetches the .wasm beside its .mjs; under
 * Node (file: URLs) it cannot, so the bytes are read here and handed in, as
 * ../../shared/docs/toolchain.md prescribes.
 * @param {URL} moduleUrl
 * @param {string} factoryName  the module's EXPORT_NAME, for the message
 * @returns {Promise<any>}
 */
export async function instantiate(moduleUrl, factoryName) {
  const imported = await import(moduleUrl.href);
  const factory = imported.default;
  if (typeof factory !== 'function') throw new MosaicError('invalid_argument', `${moduleUrl.href} does not export ${factoryName}`);
  /** @type {{ wasmBinary?: Uint8Array }} */
  const settings = {};
  if (moduleUrl.protocol === 'file:') settings.wasmBinary = await readFileUrl(new URL(moduleUrl.href.replace(/\.mjs$/, '.wasm')));
  return factory(settings);
}

/** @type {Map<string, Promise<any>>} */
const corePromises = new Map();

/**
 * The search module, loaded once per URL. `coreUrl` defaults to mosaic-core.mjs beside mosaic.mjs.
 * @param {{ coreUrl?: string }} [options]
 * @returns {Promise<any>}
 */
export function loadCore({ coreUrl } = {}) {
  const url = coreUrl ? resolveUrl(coreUrl, 'coreUrl') : defaultCoreUrl();
  let loading = corePromises.get(url.href);
  if (!loading) {
    loading = instantiate(url, 'createMosaicCore');
    loading.catch(() => corePromises.delete(url.href));  // a failed load may be retried
    corePromises.set(url.href, loading);
  }
  return loading;
}
