// Reading a server-sent event stream (mosaic serve's /api/events) in Node tests: `next(predicate)`
// resolves with the first event (and comments, as {comment}) matching it, from what arrived so far or later.
export async function subscribe(url) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  const seen = [];
  const waiters = [];
  const offer = () => {
    for (const waiter of [...waiters]) {
      const found = seen.find(waiter.predicate);
      if (found) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  };
  let ended;
  const finished = new Promise((resolve) => { ended = resolve; });
  (async () => {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of response.body) {
        pending += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (block.startsWith(':')) seen.push({ comment: block.slice(1).trim() });
          const data = /^data: (.*)$/m.exec(block);
          const type = /^event: (.*)$/m.exec(block);
          if (data) seen.push({ type: type?.[1], data: JSON.parse(data[1]) });
        }
        offer();
      }
    } catch {
      // aborted
    }
    ended();
  })();
  return {
    response,
    finished,
    next(predicate, timeout = 20000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such event in ${timeout} ms; seen ${JSON.stringify(seen)}`)), timeout);
        waiters.push({ predicate, resolve: (value) => { clearTimeout(timer); resolve(value); } });
        offer();
      });
    },
    close: () => controller.abort(),
  };
}
