// Whether the page is offline, for the element's status line ("offline, showing generation G"): the
// browser's online and offline events, and the app's service worker (web/service-worker.js), which
// says so when it answered the manifest from its store because the network failed, and says online
// again when a manifest came from the network.

// Calls onChange(offline) whenever that changes; returns { offline, stop() }.
export function watchConnectivity(onChange) {
  let offline = !navigator.onLine;
  const set = (value) => {
    if (value === offline) return;
    offline = value;
    onChange(offline);
  };
  const onOffline = () => set(true);
  const onOnline = () => set(false);
  const onMessage = (event) => {
    if (event.data?.type === 'mosaic-connectivity') set(Boolean(event.data.offline));
  };
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
  navigator.serviceWorker?.addEventListener('message', onMessage);
  navigator.serviceWorker?.startMessages();
  return {
    get offline() { return offline; },
    stop() {
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
      navigator.serviceWorker?.removeEventListener('message', onMessage);
    },
  };
}
