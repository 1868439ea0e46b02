// Where the two wasm modules come from. By default each is an emscripten ES module (mosaic-core.mjs,
// mosaic-model.mjs) imported at run time from beside mosaic.mjs, with its .wasm next to it. A bundler
// cannot follow those run-time addresses, so the npm package's bundler entry (mosaic-bundled.mjs)
// registers both modules by static import, with the addresses of the .wasm files its bundler wrote;
// every later load of a default module then uses them. A module named by the caller (coreUrl,
// modelModuleUrl) is always imported from where the caller said.

/**
 * @typedef {{ load: () => Promise<{ default: unknown }>, wasmUrl: URL }} ModuleSource
 *   load imports the emscripten module; wasmUrl is where its .wasm is fetched from
 */

/** @type {{ core?: ModuleSource, model?: ModuleSource }} */
const registered = {};

/**
 * Called once by the bundler entry, before anything is opened.
 * @param {{ core: ModuleSource, model: ModuleSource }} sources
 */
export function useBundledModules(sources) {
  registered.core = sources.core;
  registered.model = sources.model;
}

/**
 * The registered source of a default module, when a bundler entry registered one.
 * @param {'core' | 'model'} name
 * @returns {ModuleSource | undefined}
 */
export function bundledModule(name) {
  return registered[name];
}
