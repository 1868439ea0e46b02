// A static file server for Node tests, on 127.0.0.1 port 0, with hooks a test sets while it runs:
//   hold(relativePath)             may return a promise the answer waits for (a shard held back)
//   transform(relativePath, bytes) may change what is served (a corrupt shard, an edited manifest)
//   post(urlPath, body)            answers a POST as {status, body} (JSON); without it a POST is a 404
// With {ranges: true} a single "Range: bytes=first-last" is answered 206 with those bytes (as static
// hosts and `mosaic serve` do); without it every file comes whole with 200 (as python3 -m http.server).
// Every request is logged in state.requests ({method, path, headers}). Files are answered in two
// pieces, so a client's byte-level progress is seen within a file too.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

// `mounts`: [[urlPrefix, folder], ...], the first matching prefix wins (so list '' last).
export function startStaticServer(mounts, { ranges = false } = {}) {
  const state = { requests: [], hooks: {} };
  const resolveFile = (relative) => {
    for (const [prefix, folder] of mounts) {
      if (relative.startsWith(prefix)) return path.join(folder, relative.slice(prefix.length));
    }
    return undefined;
  };
  const httpServer = http.createServer(async (request, response) => {
    const url = new URL(request.url, 'http://localhost');
    state.requests.push({ method: request.method, path: url.pathname, headers: request.headers });
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    if (request.method === 'POST') {
      const answer = state.hooks.post ? await state.hooks.post(url.pathname, JSON.parse(Buffer.concat(chunks).toString('utf8')))
        : { status: 404, body: { error: { code: 'not_found', message: 'no POST handler here' } } };
      response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
      return;
    }
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = relative.includes('..') ? undefined : resolveFile(relative);
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    await state.hooks.hold?.(relative);
    let bytes = fs.readFileSync(file);
    if (state.hooks.transform) bytes = state.hooks.transform(relative, bytes);
    const contentType = relative.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    const range = ranges ? /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '') : null;
    if (range && Number(range[1]) <= Number(range[2]) && Number(range[1]) < bytes.length) {
      const first = Number(range[1]);
      const last = Math.min(Number(range[2]), bytes.length - 1);
      response.writeHead(206, { 'content-type': contentType, 'content-length': last - first + 1,
        'content-range': `bytes ${first}-${last}/${bytes.length}` });
      response.end(bytes.subarray(first, last + 1));
      return;
    }
    response.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length });
    const middle = Math.floor(bytes.length / 2);
    response.write(bytes.subarray(0, middle));
    setTimeout(() => response.end(bytes.subarray(middle)), 5);
  });
  return new Promise((resolve) => {
    httpServer.listen(0, '127.0.0.1', () => {
      resolve({
        state,
        url: `http://127.0.0.1:${httpServer.address().port}/`,
        reset() {
          state.hooks = {};
          state.requests.length = 0;
        },
        close: () => new Promise((done) => { httpServer.closeAllConnections(); httpServer.close(done); }),
      });
    });
  });
}
