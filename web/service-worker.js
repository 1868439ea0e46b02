// The web app's service worker: after one visit the app, its wasm modules, the local model (when the
// index uses it) and the index load with no network. Registered by offline.js, for the folder the app
// is served from (mosaic serve --web, or a `mosaic export` on any static host; localhost or HTTPS).
//
// What it keeps, and how each is answered:
//   the app        service-worker-files.js (written by the build) lists its files and a version made
//                  from their contents. They are stored in one cache per version at install and answered
//                  from it; a new version is stored whole before it takes over, and the old cache is then
//                  deleted, so a page never mixes files of two versions (offline.js reloads the page
//                  when the new version takes over).
//   the model      model/: stored as the page first fetches it, in a cache named by the model files'
//                  contents, so an app update does not download its 27 MB again.
//   manifest.json  uncached by design: always asked of the network first; when the network fails the
//                  stored one is answered, and the page is told it is offline (element/offline_state.js
//                  shows "offline, showing generation G").
//   other files    the index's files are content-addressed: answered from the store, else fetched and
//                  stored. They are kept per generation: a new manifest starts a new cache, files the new
//                  generation still reads move into it, and caches older than the one before are deleted.
//   /api/          never touched (the embedding proxy, search and server-sent events).
importScripts('service-worker-files.js');

/** @type {{ version: string, files: string[], modelVersion: string }} */
const build = self.mosaicAppBuild;
const appCache = `mosaic-app-${build.version}`;
const modelCache = `mosaic-model-${build.modelVersion}`;
const indexCachePrefix = 'mosaic-index-';
const scope = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(appCache);
    // Fetched past the HTTP cache: a version's files are the server's current ones, not older copies.
    await cache.addAll(build.files.map((file) => new Request(new URL(file, scope), { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      const oldApp = name.startsWith('mosaic-app-') && name !== appCache;
      const oldModel = name.startsWith('mosaic-model-') && name !== modelCache;
      if (oldApp || oldModel) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

const appPaths = new Set(build.files.map((file) => new URL(file, scope).pathname));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const relative = url.pathname.slice(scope.pathname.length);
  // Range requests (audio and video seeking) want partial answers, which a stored whole file is not.
  if (relative.startsWith('api/') || request.headers.get('accept') === 'text/event-stream' || request.headers.has('range')) return;
  if ((request.mode === 'navigate' && (relative === '' || relative === 'index.html')) || appPaths.has(url.pathname)) {
    event.respondWith(fromApp(request, url));
  } else if (relative === 'config.json') {
    event.respondWith(networkFirst(request, appCache).then(({ response }) => response));
  } else if (relative.startsWith('model/')) {
    event.respondWith(storedFirst(request, [modelCache], modelCache));
  } else if (relative.endsWith('manifest.json')) {
    event.respondWith(manifest(event));
  } else {
    event.respondWith(indexFile(request));
  }
});

// A page of the app (the address may carry a query) is its index.html.
async function fromApp(request, url) {
  const cache = await caches.open(appCache);
  const key = appPaths.has(url.pathname) ? url.href : new URL('index.html', scope).href;
  const stored = await cache.match(key, { ignoreSearch: true });
  return stored ?? fetch(request);
}

// The network's answer (stored when it is a success), else the stored one; `offline` says which.
async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request.url, response.clone());
    return { response, offline: false };
  } catch (failure) {
    const stored = await cache.match(request.url);
    if (!stored) throw failure;
    return { response: stored, offline: true };
  }
}

async function storedFirst(request, cacheNames, storeIn) {
  for (const name of cacheNames) {
    const stored = await (await caches.open(name)).match(request.url);
    if (stored) {
      if (name !== storeIn) await (await caches.open(storeIn)).put(request.url, stored.clone());
      return stored;
    }
  }
  const response = await fetch(request);
  if (response.ok && response.status === 200) await (await caches.open(storeIn)).put(request.url, response.clone());
  return response;
}

// The index caches, newest generation first: mosaic-index-<generation>.
async function indexCaches() {
  const generations = (await caches.keys()).filter((name) => name.startsWith(indexCachePrefix))
    .map((name) => Number(name.slice(indexCachePrefix.length))).filter(Number.isSafeInteger);
  return generations.sort((a, b) => b - a).map((generation) => indexCachePrefix + generation);
}

async function indexFile(request) {
  const names = await indexCaches();
  return storedFirst(request, names, names[0] ?? `${indexCachePrefix}0`);
}

async function manifest(event) {
  const cache = await caches.open('mosaic-manifests');
  let response;
  let offline = false;
  try {
    response = await fetch(event.request);
  } catch (failure) {
    response = await cache.match(event.request.url);
    if (!response) throw failure;
    offline = true;
  }
  if (!offline && response.ok) {
    await cache.put(event.request.url, response.clone());
    await startGeneration(await response.clone().text());
  }
  const generation = offline ? generationOf(await response.clone().text()) : undefined;
  const client = event.clientId ? await self.clients.get(event.clientId) : undefined;
  client?.postMessage({ type: 'mosaic-connectivity', offline, generation });
  return response;
}

function generationOf(text) {
  try {
    const generation = JSON.parse(text).generation;
    return Number.isSafeInteger(generation) ? generation : undefined;
  } catch {
    return undefined;
  }
}

// A manifest of a new generation: its cache is made, and caches older than the previous generation
// (which open pages may still be reading) are deleted.
async function startGeneration(text) {
  const generation = generationOf(text);
  if (generation === undefined) return;
  await caches.open(indexCachePrefix + generation);
  const names = await indexCaches();
  for (const name of names) {
    const older = Number(name.slice(indexCachePrefix.length));
    if (older < generation && name !== names[names.indexOf(indexCachePrefix + generation) + 1]) await caches.delete(name);
  }
}

// offline.js hands over the same-origin files the page fetched before this worker controlled it (the
// first visit): they are stored as if fetched through it.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'mosaic-store-fetched') return;
  event.waitUntil((async () => {
    for (const address of event.data.urls) {
      const url = new URL(address);
      if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) continue;
      const relative = url.pathname.slice(scope.pathname.length);
      if (relative.startsWith('api/') || appPaths.has(url.pathname) || relative === 'config.json') continue;
      try {
        const request = new Request(url);
        if (relative.startsWith('model/')) await storedFirst(request, [modelCache], modelCache);
        else if (relative.endsWith('manifest.json')) await manifest({ request, clientId: '' });
        else await indexFile(request);
      } catch {
        // offline again: what was not stored is fetched through the worker next time
      }
    }
    event.source?.postMessage({ type: 'mosaic-stored' });
  })());
});
