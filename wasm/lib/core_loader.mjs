// The wasm search module (mosaic-core.mjs: shard and manifest decoding, top-k, the label vote, query
// and media preparation), loaded once per URL and shared by every open index.
import { defaultCoreUrl } from './config.mjs';
import { MosaicError } from './errors.mjs';
import { readFileUrl } from './fetching.mjs';
import { bundledModule } from './module_sources.mjs';
import { resolveUrl } from './urls.mjs';

/**
 * An emscripten module's instance, from the module at moduleUrl and the .wasm beside it.
 * @param {URL} moduleUrl
 * @param {string} factoryName  the module's EXPORT_NAME, for the message
 * @returns {Promise<any>}
 */
export function instantiate(moduleUrl, factoryName) {
  return instantiateSource({ load: () => import(moduleUrl.href), wasmUrl: new URL(moduleUrl.href.replace(/\.mjs$/, '.wasm')) },
    factoryName, moduleUrl.href);
}

/**
 * An emscripten module's instance from a source (lib/module_sources.mjs). The .wasm address is handed
 * in (locateFile) rather than left to the module, which would look beside its own import.meta.url:
 * inside a bundle that is the bundle's address. Under Node (file: URLs) emscripten's loader cannot
 * fetch, so the bytes are read here and handed in, as ../../shared/docs/toolchain.md prescribes.
 * @param {import('./module_sources.mjs').ModuleSource} source
 * @param {string} factoryName  the module's EXPORT_NAME, for the message
 * @param {string} where  the module's name in messages
 * @returns {Promise<any>}
 */
export async function instantiateSource(source, factoryName, where) {
  const imported = await source.load();
  const factory = imported.default;
  if (typeof factory !== 'function') throw new MosaicError('invalid_argument', `${where} does not export ${factoryName}`);
  /** @type {{ wasmBinary?: Uint8Array, locateFile: (path: string) => string }} */
  const settings = { locateFile: () => source.wasmUrl.href };
  if (source.wasmUrl.protocol === 'file:') settings.wasmBinary = await readFileUrl(source.wasmUrl);
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
    const bundled = coreUrl ? undefined : bundledModule('core');
    loading = bundled ? instantiateSource(bundled, 'createMosaicCore', 'the bundled mosaic-core.mjs') : instantiate(url, 'createMosaicCore');
    loading.catch(() => corePromises.delete(url.href));  // a failed load may be retried
    corePromises.set(url.href, loading);
  }
  return loading;
}
