// The local text model (mosaic-model.mjs and its ~27 MB of weights), loaded only when an index built
// with it is searched by text, once per weights folder and shared by every open index.
import { defaultModelModuleUrl } from './config.mjs';
import { instantiate, instantiateSource } from './core_loader.mjs';
import { refusal } from './errors.mjs';
import { readBytes, utf8 } from './fetching.mjs';
import { bundledModule } from './module_sources.mjs';

/** @typedef {import('./fetching.mjs').FetchFunction} FetchFunction */

/** @type {Map<string, Promise<any>>} */
const modelPromises = new Map();

/**
 * The model, ready to embed: `model.embed(text)` -> {ok, vector} or {ok: false, error}.
 * @param {{ modelModuleUrl: URL, modelBaseUrl: URL, fetchFunction: FetchFunction }} where
 * @returns {Promise<any>}
 */
export function loadLocalModel({ modelModuleUrl, modelBaseUrl, fetchFunction }) {
  const key = `${modelModuleUrl.href} ${modelBaseUrl.href}`;
  let loading = modelPromises.get(key);
  if (!loading) {
    loading = (async () => {
      // The default module comes from the bundle when a bundler entry registered one.
      const bundled = modelModuleUrl.href === defaultModelModuleUrl().href ? bundledModule('model') : undefined;
      const module = await (bundled ? instantiateSource(bundled, 'createMosaicModel', 'the bundled mosaic-model.mjs')
        : instantiate(modelModuleUrl, 'createMosaicModel'));
      const modelJson = utf8.decode(await readBytes(fetchFunction, new URL('model.json', modelBaseUrl)));
      const shards = module.weightShardPaths(modelJson);
      if (!shards.ok) throw refusal(shards, `${modelBaseUrl.href}model.json`);
      /** @type {Uint8Array[]} */
      const parts = await Promise.all(shards.paths.map((/** @type {string} */ path) => readBytes(fetchFunction, new URL(path, modelBaseUrl))));
      const weights = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
      let offset = 0;
      for (const part of parts) {
        weights.set(part, offset);
        offset += part.length;
      }
      const vocabulary = utf8.decode(await readBytes(fetchFunction, new URL('vocab.json', modelBaseUrl)));
      const loaded = module.loadModel(modelJson, weights, vocabulary);
      if (!loaded.ok) throw refusal(loaded, modelBaseUrl.href);
      return loaded.model;
    })();
    loading.catch(() => modelPromises.delete(key));
    modelPromises.set(key, loading);
  }
  return loading;
}
