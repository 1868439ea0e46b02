// The keyword index's files for one generation, fetched when a query first needs them: its directory
// once, then the term files that hold the query's terms, in parallel (docs/format.md, "Keyword index").
// The core checks each (content hash, then every field) and keeps it for the generation, so a term
// file is fetched once per generation; across visits the HTTP cache keeps them (immutable files).
import { shardError } from './errors.mjs';
import { download } from './fetching.mjs';

/**
 * @typedef {import('./index_state.mjs').IndexState} IndexState
 * @typedef {import('./loaded_generation.mjs').LoadedGeneration} LoadedGeneration
 */

/** @type {WeakMap<LoadedGeneration, Promise<void>>} the directory's load, one per generation */
const directories = new WeakMap();

/**
 * Makes the keyword index ready for a query's text (NFKC-normalized): false when the site has none.
 * @param {IndexState} state
 * @param {LoadedGeneration} generation
 * @param {string} normalizedText
 * @returns {Promise<boolean>}
 */
export async function loadKeywordFiles(state, generation, normalizedText) {
  const entry = generation.manifest.keywords;
  if (!entry) return false;
  let directory = directories.get(generation);
  if (!directory) {
    directory = fetchFile(state, entry.file, entry.bytes).then((bytes) => generation.setKeywordDirectory(bytes));
    directories.set(generation, directory);
    // A failed load is tried again by the next query, not remembered.
    directory.catch(() => directories.delete(generation));
  }
  await directory;
  const needed = generation.termFilesNeeded(normalizedText);
  await Promise.all(needed.map(async (file) => {
    generation.addTermFile(file.index, await fetchFile(state, file.file, file.bytes));
  }));
  return true;
}

/**
 * @param {IndexState} state
 * @param {string} file  relative to the index
 * @param {number} bytes  the size its entry gives
 */
async function fetchFile(state, file, bytes) {
  try {
    return await download(state.fetchFunction, new URL(file, state.base), bytes, (count) => { state.statistics.keywordBytesLoaded += count; });
  } catch (cause) {
    throw shardError(cause, file);
  }
}
