// The upstream rows of the fault matrix (README, "Reliability") that tests/server/gemini_proxy.test.mjs
// does not already cover, end to end: `mosaic serve` in front of a misbehaving stand-in for Google
// (a Node server here, so each fault is exact: a body cut after its first bytes, an answer that never
// ends, a stall) and a name that does not resolve. Each row checks the documented answer to the client
// and that it comes within the configured deadline: nothing hangs. Run by ctest with MOSAIC_CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../support/processes.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-upstream-faults-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// Deadlines given to the proxy: a call may take 1.5 s, retries (up to 4 tries, from 50 ms) at most
// 4 s in all. A client's answer must come within the budget plus one call and some slack.
const callTimeoutMs = 1500;
const retryBudgetMs = 4000;
const answerDeadlineMs = retryBudgetMs + callTimeoutMs + 2000;

// The stand-in: answers batchEmbedContents with unit vectors of the asked size, unless the next
// entry of `faults` says otherwise. Counts every call.
const upstream = { calls: 0, faults: [], sockets: new Set() };
const unitVector = (dimensions) => Array.from({ length: dimensions }, () => 1 / Math.sqrt(dimensions));
function goodAnswer(request) {
  return JSON.stringify({ embeddings: request.requests.map((entry) => ({ values: unitVector(entry.outputDimensionality ?? 3072) })) });
}
const faultBehaviours = {
  '429 without Retry-After': (response) => {
    response.writeHead(429, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } }));
  },
  '503': (response) => {
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }));
  },
  'cut mid-answer': (response, request) => {
    const body = goodAnswer(request);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.write(body.slice(0, Math.floor(body.length / 3)));
    setTimeout(() => response.socket.destroy(), 20);
  },
  'never-ending answer': (response) => {
    // A head, then a byte now and then, forever: only the call's own deadline can end it.
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.write('{"embeddings":[');
    const timer = setInterval(() => response.write(' '), 100);
    response.on('close', () => clearInterval(timer));
  },
  'malformed JSON': (response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"embeddings":[{"values":[0.1,0.2,');
  },
  'wrong vector count': (response, request) => {
    const answer = JSON.parse(goodAnswer(request));
    answer.embeddings.push(answer.embeddings[0]);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer));
  },
  'stall 30 s': (response) => {
    const timer = setTimeout(() => response.destroy(), 30_000);
    response.on('close', () => clearTimeout(timer));
  },
};
const stub = http.createServer((request, response) => {
  let text = '';
  request.on('data', (chunk) => { text += chunk; });
  request.on('end', () => {
    upstream.calls += 1;
    const body = JSON.parse(text);
    const fault = upstream.faults.shift();
    if (fault) return faultBehaviours[fault](response, body);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(goodAnswer(body));
  });
});
stub.on('connection', (socket) => {
  upstream.sockets.add(socket);
  socket.on('close', () => upstream.sockets.delete(socket));
});

const proxyArguments = ['--provider', 'gemini', '--no-cache', '--rate-limit', '0', '--batch-idle-ms', '0', '--upstream-attempts', '4',
  '--upstream-initial-delay-ms', '50', '--upstream-timeout-ms', String(callTimeoutMs), '--upstream-retry-budget-ms', String(retryBudgetMs)];
function startProxy(baseUrl) {
  return startProcess(cli, ['serve', '--port', '0', '--gemini-base-url', baseUrl, ...proxyArguments],
    { env: { ...process.env, GEMINI_API_KEY: 'upstream-faults-key' }, ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
}

let proxy;
let textCounter = 0;
before(async () => {
  await new Promise((resolve) => stub.listen(0, '127.0.0.1', resolve));
  proxy = await startProxy(`http://127.0.0.1:${stub.address().port}/v1beta`);
});
after(async () => {
  await proxy?.stop();
  for (const socket of upstream.sockets) socket.destroy();
  await new Promise((resolve) => stub.close(resolve));
});

// One embedding request through the proxy (a new text each time): status, JSON, Retry-After, time taken.
async function embedThrough(server) {
  const started = Date.now();
  const answer = await fetch(`http://127.0.0.1:${server.port}/api/embed`, {
    method: 'POST', body: JSON.stringify({ inputs: [`fault matrix text ${textCounter++}`], dimensions: 128 }),
  });
  const json = await answer.json();
  return { status: answer.status, json, retryAfter: answer.headers.get('retry-after'), milliseconds: Date.now() - started };
}

// Runs one row: the stand-in gets `faults` (in call order), the proxy is asked once.
async function row(faults) {
  upstream.faults = [...faults];
  const callsBefore = upstream.calls;
  const answer = await embedThrough(proxy);
  assert.ok(answer.milliseconds < answerDeadlineMs, `answered after ${answer.milliseconds} ms (deadline ${answerDeadlineMs} ms)`);
  upstream.faults = [];
  return { ...answer, calls: upstream.calls - callsBefore };
}

function assertVector(answer) {
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.equal(answer.json.embeddings.length, 1);
  assert.equal(answer.json.embeddings[0].length, 128);
}

describe('upstream faults through mosaic serve', () => {
  it('429 without Retry-After: retried with backoff, then answered', async () => {
    const answer = await row(['429 without Retry-After', '429 without Retry-After']);
    assertVector(answer);
    assert.equal(answer.calls, 3);
  });

  it('a burst of 503s shorter than the tries: retried, then answered', async () => {
    const answer = await row(['503', '503', '503']);
    assertVector(answer);
    assert.equal(answer.calls, 4);
  });

  it('503s past every try: 503 upstream_unavailable with Retry-After', async () => {
    const answer = await row(['503', '503', '503', '503', '503']);
    assert.equal(answer.status, 503);
    assert.equal(answer.json.error.code, 'upstream_unavailable');
    assert.ok(Number(answer.retryAfter) >= 1);
    assert.equal(answer.calls, 4);
  });

  it('a connection cut mid-answer: the call is tried again and answered', async () => {
    const answer = await row(['cut mid-answer']);
    assertVector(answer);
    assert.equal(answer.calls, 2);
  });

  it('an answer that never ends: cut at the call deadline, tried again, answered', async () => {
    const answer = await row(['never-ending answer']);
    assertVector(answer);
    assert.equal(answer.calls, 2);
    assert.ok(answer.milliseconds >= callTimeoutMs - 100, `the never-ending answer was cut after ${answer.milliseconds} ms`);
  });

  it('malformed JSON: 502 upstream_rejected, not retried', async () => {
    const answer = await row(['malformed JSON']);
    assert.equal(answer.status, 502, JSON.stringify(answer.json));
    assert.equal(answer.json.error.code, 'upstream_rejected');
    assert.equal(answer.calls, 1);
  });

  it('a wrong number of vectors: 502 upstream_rejected, not retried', async () => {
    const answer = await row(['wrong vector count']);
    assert.equal(answer.status, 502, JSON.stringify(answer.json));
    assert.equal(answer.json.error.code, 'upstream_rejected');
    assert.match(answer.json.error.message, /could not be used/);
    assert.equal(answer.calls, 1);
  });

  it('a 30 s stall, every try: 503 upstream_unavailable within the deadline, not after 30 s', async () => {
    const answer = await row(['stall 30 s', 'stall 30 s', 'stall 30 s', 'stall 30 s']);
    assert.equal(answer.status, 503, JSON.stringify(answer.json));
    assert.equal(answer.json.error.code, 'upstream_unavailable');
    assert.ok(Number(answer.retryAfter) >= 1);
  });

  it('a name that does not resolve (DNS failure): 503 upstream_unavailable within the deadline', async () => {
    // .invalid never resolves (RFC 6761).
    const unresolvable = await startProxy('http://mosaic-fault-test.invalid/v1beta');
    try {
      const answer = await embedThrough(unresolvable);
      assert.ok(answer.milliseconds < answerDeadlineMs, `answered after ${answer.milliseconds} ms`);
      assert.equal(answer.status, 503, JSON.stringify(answer.json));
      assert.equal(answer.json.error.code, 'upstream_unavailable');
      assert.match(answer.json.error.message, /resolve|host|name/i);
    } finally {
      await unresolvable.stop();
    }
  });

  it('after every fault the proxy still answers, and stops cleanly', async () => {
    assertVector(await row([]));
    const stopped = await proxy.stop();
    proxy = undefined;
    assert.equal(stopped.code, 0, 'SIGTERM ends the server with 0 (no call left hanging)');
  });
});
