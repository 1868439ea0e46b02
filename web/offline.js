// The web app offline: registers service-worker.js for the app's folder, so that after one visit the
// app, the wasm, the model and the index load with no network (service-worker.js says how each is
// kept). Loaded by index.html only: a site that embeds the <mosaic-search> element decides on its
// own service worker. Service workers need a secure context (HTTPS, or localhost); elsewhere this
// does nothing and the app works online as before.
//
// Two jobs besides registering:
//   - the first visit's files: the page fetched the index and the model before the worker controlled
//     it, so once it does, their addresses are handed to it to store (document's data-offline-ready
//     says when that is done);
//   - a new app version: the new worker takes over once it has stored the whole new version, and the
//     page reloads once, so no page runs old modules beside new ones.
const workerUrl = new URL('service-worker.js', import.meta.url);

async function register() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  // The first worker taking the page over is the first visit; any later change is a new version.
  let controlled = hadController;
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!controlled) {
      controlled = true;
      storeFetchedFiles();
    } else if (!reloading) {
      reloading = true;
      location.reload();
    }
  });
  // updateViaCache 'none': the worker's imported service-worker-files.js, which holds the version, is
  // asked of the server at each update check rather than taken from the HTTP cache.
  await navigator.serviceWorker.register(workerUrl, { scope: new URL('./', import.meta.url).pathname, updateViaCache: 'none' });
  if (hadController) document.documentElement.dataset.offlineReady = 'true';
}

function storeFetchedFiles() {
  const worker = navigator.serviceWorker.controller;
  if (!worker) return;
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'mosaic-stored') document.documentElement.dataset.offlineReady = 'true';
  });
  const urls = performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => new URL(url).origin === location.origin);
  worker.postMessage({ type: 'mosaic-store-fetched', urls });
}

register().catch((error) => console.warn(`Mosaic: no offline copy (${error.message})`));
