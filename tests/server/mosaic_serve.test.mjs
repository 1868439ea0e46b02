// mosaic serve over loopback: the process as a user runs it. Startup (first log line, refusal on a
// model mismatch or a missing model), the API and the index over real connections, guard rails (body
// limits, slow clients), and a graceful stop on SIGTERM. Run by ctest with MOSAIC_CLI set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { makeIndexedSite } from '../support/sample_collection.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');

const makeSite = () => makeIndexedSite(cli, 'mosaic-serve-');

// Starts the server and resolves once it prints its port; collects the whole log.
function startServer(args) {
  // Each server gets its own embedding cache folder: tests never touch the user's cache.
  const cacheDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-serve-cache-'));
  const child = spawn(cli, ['serve', '--port', '0', '--cache-dir', cacheDirectory, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('exit', () => fs.rmSync(cacheDirectory, { recursive: true, force: true }));
  let log = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`mosaic serve exited with ${code}: ${log}`)));
  });
  return { child, ready, exited, log: () => log };
}

// Sends bytes exactly as given (fetch would normalize %2e%2e away) and returns what comes back
// until the server closes or a second passes.
function rawRequest(base, text) {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk) => { received += chunk; });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    setTimeout(() => { socket.destroy(); resolve(received); }, 1000);
  });
}

async function withServer(args, body) {
  const server = startServer(args);
  try {
    const port = await server.ready;
    await body(`http://127.0.0.1:${port}`, server);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
}

test('serves health, search, embed and the index, with the provider named on the first log line', async () => {
  const { root, site } = makeSite();
  try {
    await withServer(['--site', site], async (base, server) => {
      assert.match(server.log().split('\n')[0], /^mosaic serve: provider local, model use-lite-512@energetic-ai-0\.2\.0$/);
      const health = await (await fetch(`${base}/api/health`)).json();
      assert.equal(health.status, 'ok');
      assert.equal(health.index.items, 2);
      const search = await (await fetch(`${base}/api/search`, { method: 'POST', body: JSON.stringify({ text: 'fastest animal', k: 1 }) })).json();
      assert.equal(search.results[0].item.source, 'animals/cheetah.txt');
      const embed = await (await fetch(`${base}/api/embed`, {
        method: 'POST', body: JSON.stringify({ inputs: [{ parts: [{ text: 'hello' }] }], dimensions: 128 }),
      })).json();
      assert.equal(embed.embeddings[0].length, 128);
      const manifest = await fetch(`${base}/index/manifest.json`);
      assert.equal(manifest.headers.get('cache-control'), 'no-cache');
      const shard = (await manifest.json()).shards[0];
      const shardResponse = await fetch(`${base}/index/${shard.file}`, { headers: { Range: 'bytes=0-7' } });
      assert.equal(shardResponse.status, 206);
      assert.equal(shardResponse.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.deepEqual([...new Uint8Array(await shardResponse.arrayBuffer())], [0x89, 0x4d, 0x4f, 0x53, 0x41, 0x49, 0x43, 0x0a]);
      for (const target of ['/index/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/index/../../../etc/passwd', '/index/..%2f..%2fetc/passwd',
                            '//etc/passwd', '/index/shards/..%5c..%5cmanifest.json']) {
        const answer = await rawRequest(base, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        assert.match(answer, /^HTTP\/1\.1 (400|404) /, `${target} -> ${answer.split('\r\n')[0]}`);
        assert.doesNotMatch(answer, /root:/);
      }
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a body over the route limit gets 413 and a slow client is cut off by the read timeout', async () => {
  const { root, site } = makeSite();
  try {
    await withServer(['--site', site, '--read-timeout', '1'], async (base) => {
      // Refused from the head alone: the 2 MB body is never read.
      const tooLarge = await rawRequest(base, 'POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n{');
      assert.match(tooLarge, /^HTTP\/1\.1 413 /);
      assert.match(tooLarge, /payload_too_large/);
      const { port } = new URL(base);
      const closedAfter = await new Promise((resolve, reject) => {
        const started = Date.now();
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n'));
        socket.on('close', () => resolve(Date.now() - started));
        socket.on('error', () => {});
        setTimeout(() => reject(new Error('the server kept a stalled request open')), 10000);
      });
      assert.ok(closedAfter < 5000, `closed after ${closedAfter} ms`);
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('SIGTERM lets the request in flight finish, closes idle connections and exits cleanly', async () => {
  const { root, site } = makeSite();
  try {
    await withServer(['--site', site], async (base, server) => {
      const { port } = new URL(base);
      const idle = net.connect(Number(port), '127.0.0.1');  // an idle keep-alive client
      await new Promise((resolve) => idle.on('connect', resolve));
      idle.on('error', () => {});
      const inFlight = fetch(`${base}/api/embed`, {
        method: 'POST', body: JSON.stringify({ inputs: Array.from({ length: 40 }, (_, i) => ({ parts: [{ text: `sentence ${i} about a long day at sea` }] })) }),
      });
      await new Promise((resolve) => setTimeout(resolve, 30));
      server.child.kill('SIGTERM');
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      assert.equal((await answer.json()).embeddings.length, 40);
      const started = Date.now();
      const { code } = await server.exited;
      assert.equal(code, 0, `exit ${code}: ${server.log().slice(-4000)}`);
      assert.ok(Date.now() - started < 5000, 'the idle connection did not hold the stop');
      idle.destroy();
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('refuses to start with an index of another model, or without the model', () => {
  const { root, site } = makeSite();
  try {
    const manifestPath = path.join(site, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    manifest.model = 'gemini-embedding-2';
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    const mismatch = spawnSync(cli, ['serve', '--site', site, '--port', '0'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(mismatch.status, 1);
    assert.match(mismatch.stderr, /needs model 'gemini-embedding-2'/);
    const noModel = spawnSync(cli, ['serve', '--port', '0', '--model-dir', path.join(root, 'nowhere')], { encoding: 'utf8', timeout: 20000 });
    assert.equal(noModel.status, 1);
    assert.match(noModel.stderr, /install-model\.sh/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
