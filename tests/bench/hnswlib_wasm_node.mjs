// hnswlib-wasm under Node, with its graphs saved to and loaded from bytes, for the peers benchmark's
// graph cache. hnswlib-wasm is an emscripten build for the web: writeIndex/readIndex work only on files of
// its own emscripten file system under /hnswlib-index, which it mounts as IDBFS and syncs to IndexedDB,
// and it exports neither FS nor any other way to a file's bytes. Node has no IndexedDB, so the module
// gets fake-indexeddb's (an in-memory IndexedDB, installed with the bench packages) and the bytes go
// through the library's own path: writeIndex -> IDBFS sync -> the IndexedDB record -> bytes, and back.
// (Without an IndexedDB its loader aborts its file-system set-up, which searching survived, but saving
// could not work.)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const mountPoint = '/hnswlib-index';  // fixed in hnswlib-wasm's wrapper.cpp
const storeName = 'FILE_DATA';  // emscripten IDBFS's object store, one record per file path
const regularFileMode = 0o100644;
const syncTimeoutMilliseconds = 120000;

const settle = (idbRequest) => new Promise((resolve, reject) => {
  idbRequest.onsuccess = () => resolve(idbRequest.result);
  idbRequest.onerror = () => reject(idbRequest.error);
});

// The library's sync code reports with console.log, which would land in the benchmark's table on
// stdout: during its file operations console.log goes to stderr.
async function withLogToStderr(action) {
  const log = console.log;
  console.log = console.error;
  try {
    return await action();
  } finally {
    console.log = log;
  }
}

// Returns { library, saveGraph(index, name) -> Uint8Array, loadGraph(index, name, bytes, maxElements) }.
export async function loadHnswlibForNode(packagesDirectory) {
  const { indexedDB } = createRequire(path.join(packagesDirectory, 'package.json'))('fake-indexeddb');
  // The emscripten loader was built for the web only and refuses to start without `window`.
  globalThis.window ??= {};
  globalThis.window.indexedDB = indexedDB;
  const distribution = path.join(packagesDirectory, 'hnswlib-wasm', 'dist');
  const factoryFile = fs.readdirSync(distribution).find((name) => /^hnswlib-[0-9a-f]+\.js$/.test(name));
  if (!factoryFile) throw new Error(`no emscripten module (hnswlib-<hash>.js) in ${distribution}`);
  const factory = (await import(pathToFileURL(path.join(distribution, factoryFile)).href)).default;
  const library = await factory({ print: (text) => console.error(text), printErr: (text) => console.error(text) });
  const files = library.EmscriptenFileSystemManager;

  // initializeFileSystem and writeIndex start a sync without a callback: wait for its flag. A failed
  // sync leaves the flag down too, hence the time limit.
  const synced = async (what) => {
    const started = Date.now();
    while (!files.isSynced()) {
      if (Date.now() - started > syncTimeoutMilliseconds) throw new Error(`hnswlib-wasm: ${what} did not sync to IndexedDB`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  // A sync we start ourselves: true = IndexedDB -> its file system (which also deletes files that have
  // no record), false = the other way.
  const sync = (populateFileSystem) => new Promise((resolve, reject) => {
    files.syncFS(populateFileSystem, () => (files.isSynced() ? resolve() : reject(new Error('hnswlib-wasm: IDBFS sync failed'))));
  });

  await withLogToStderr(async () => {
    files.initializeFileSystem('IDBFS');
    await synced('mounting its file system');
  });
  const database = await settle(indexedDB.open(mountPoint));
  const store = (mode) => database.transaction([storeName], mode).objectStore(storeName);
  const filePath = (name) => `${mountPoint}/${name}`;
  // Drops the file from both sides so neither keeps a few hundred megabytes alive.
  const forget = async (name) => {
    await settle(store('readwrite').delete(filePath(name)));
    await sync(true);
  };

  return {
    library,
    async saveGraph(index, name) {
      return withLogToStderr(async () => {
        index.writeIndex(name);
        await synced(`writeIndex(${name})`);
        const record = await settle(store('readonly').get(filePath(name)));
        if (!(record?.contents instanceof Uint8Array)) throw new Error(`hnswlib-wasm: writeIndex(${name}) left no file in IndexedDB`);
        const bytes = record.contents;
        await forget(name);
        return bytes;
      });
    },
    async loadGraph(index, name, bytes, maxElements) {
      return withLogToStderr(async () => {
        await settle(store('readwrite').put({ timestamp: new Date(), mode: regularFileMode, contents: bytes }, filePath(name)));
        try {
          await sync(true);
          index.readIndex(name, maxElements);
        } finally {
          await forget(name);
        }
      });
    },
  };
}
