// Watching an index for new generations: the server's /api/events (mosaic serve) as Server-Sent
// Events, a refresh on each event; where there is no such route (a static host), polling the
// manifest instead, and in a page also whenever the page becomes visible.
import { refresh } from './generations.mjs';
import { resolveUrl } from './urls.mjs';

/**
 * @typedef {import('./index_state.mjs').IndexState} IndexState
 * @typedef {import('../mosaic').WatchOptions} WatchOptions
 */

/**
 * Starts watching (stopping an earlier watch of this index) and returns the function that stops it.
 * @param {IndexState} state
 * @param {WatchOptions} options
 * @returns {() => void}
 */
export function watch(state, { onUpdate, onError, eventsUrl, pollInterval = 60000 } = {}) {
  state.checkOpen();
  state.stopWatching?.();
  const controller = new AbortController();
  /** @type {Set<ReturnType<typeof setTimeout>>} */
  const timers = new Set();
  const report = onError ?? state.options.onError;
  // An event that arrives while a refresh is under way may name a manifest newer than the one that
  // refresh fetched: one more refresh follows it then.
  let running = false;
  let again = false;
  const update = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        if (controller.signal.aborted || state.closed) return;
        try {
          const outcome = await refresh(state);
          if (outcome.changed && !controller.signal.aborted) onUpdate?.(outcome);
        } catch (error) {
          if (!controller.signal.aborted) report?.(/** @type {import('./errors.mjs').MosaicError} */ (error));
        }
      } while (again);
    } finally {
      running = false;
    }
  };
  const later = (/** @type {() => void} */ action, /** @type {number} */ milliseconds) => {
    const timer = setTimeout(() => { timers.delete(timer); action(); }, milliseconds);
    // Under Node, watching never keeps a process alive (a page's timers are plain numbers).
    /** @type {{ unref?: () => void }} */ (/** @type {unknown} */ (timer)).unref?.();
    timers.add(timer);
  };
  const poll = () => {
    update().finally(() => { if (!controller.signal.aborted) later(poll, pollInterval); });
  };
  const events = eventsUrl ? resolveUrl(eventsUrl, 'eventsUrl') : new URL('/api/events', state.base);
  let retryDelay = 1000;
  const listen = async () => {
    let response;
    try {
      response = await state.fetchFunction(events.href, { headers: { accept: 'text/event-stream' }, cache: 'no-store', signal: controller.signal });
    } catch {
      if (controller.signal.aborted) return;
      // The server is away (restarting?): try again, longer each time, and look at the manifest meanwhile.
      later(listen, retryDelay);
      retryDelay = Math.min(retryDelay * 2, pollInterval);
      return;
    }
    if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
      response.body?.cancel?.().catch(() => {});
      later(poll, 0);  // no events here (a static host): polling it is
      return;
    }
    retryDelay = 1000;
    try {
      // Every event (the first one on connect, then one per new generation) is a reason to look:
      // an unchanged manifest costs a 304.
      for await (const event of serverSentEvents(response.body)) {
        if (event.type === 'generation') update();
      }
    } catch {
      // the stream broke: reconnect below
    }
    if (!controller.signal.aborted) later(listen, retryDelay);
  };
  const onVisible = () => { if (globalThis.document?.visibilityState === 'visible') update(); };
  globalThis.document?.addEventListener?.('visibilitychange', onVisible);
  listen();
  const stop = () => {
    controller.abort();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    globalThis.document?.removeEventListener?.('visibilitychange', onVisible);
    if (state.stopWatching === stop) state.stopWatching = undefined;
  };
  state.stopWatching = stop;
  return stop;
}

/**
 * Server-Sent Events from a fetch body (EventSource is missing under Node, and cannot be aborted with
 * the rest): yields {type, data} for each event; comments (heartbeats) are skipped.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<{ type: string, data: string }>}
 */
export async function* serverSentEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      pending += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        let type = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0) yield { type, data: data.join('\n') };
      }
    }
  } finally {
    reader.releaseLock();
  }
}
