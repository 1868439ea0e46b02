// mosaic serve keeps up with its site: a browser subscribed to /api/events hears of a new generation
// written by `mosaic index` while the server runs, and /api/search finds the new item at once; a
// damaged new site is refused (the log names the error) and the old generation keeps being served;
// a stop with an event stream open finishes promptly. Run by ctest with MOSAIC_CLI set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { subscribe } from '../support/event_stream.mjs';
import { startProcess } from '../support/processes.mjs';
import { makeIndexedSite, runMosaic } from '../support/sample_collection.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');

const index = (collection, site) => runMosaic(cli, ['index', collection, '--out', site]);
const makeSite = () => makeIndexedSite(cli, 'mosaic-live-');

async function startServer(site, extra = []) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-live-cache-'));
  const server = await startProcess(cli, ['serve', '--site', site, '--port', '0', '--cache-dir', cache, '--watch-ms', '100', ...extra],
    { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
  server.exited.then(() => fs.rmSync(cache, { recursive: true, force: true }));
  return { ...server, base: `http://127.0.0.1:${server.port}` };
}

async function searchSources(base, text) {
  const answer = await (await fetch(`${base}/api/search`, { method: 'POST', body: JSON.stringify({ text, k: 1 }) })).json();
  return { generation: answer.generation, first: answer.results[0]?.item.source };
}

async function waitFor(condition, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a re-indexed site is pushed to event subscribers and searched at once; a damaged one is refused', async () => {
  const { root, collection, site } = makeSite();
  const server = await startServer(site, ['--heartbeat', '1']);
  try {
    const events = await subscribe(`${server.base}/api/events`);
    assert.equal(events.response.status, 200);
    assert.match(events.response.headers.get('content-type'), /^text\/event-stream/);
    const first = await events.next((event) => event.type === 'generation');
    const manifestText = await (await fetch(`${server.base}/index/manifest.json`)).text();
    assert.equal(first.data.generation, 1);
    assert.equal(first.data.items, 2);
    assert.match(first.data.manifest, /^[0-9a-f]{64}$/);
    // The heartbeat keeps an idle stream alive (every second here).
    await events.next((event) => event.comment === 'heartbeat', 5000);

    // A new file, indexed while the server runs: generation 2 arrives as an event.
    fs.writeFileSync(path.join(collection, 'animals', 'octopus.txt'), 'The octopus has eight arms and changes colour to hide on the reef.');
    index(collection, site);
    const second = await events.next((event) => event.type === 'generation' && event.data.generation === 2);
    assert.equal(second.data.items, 3);
    assert.notEqual(second.data.manifest, first.data.manifest);
    assert.deepEqual(await searchSources(server.base, 'eight arms under the sea'), { generation: 2, first: 'animals/octopus.txt' });
    const health = await (await fetch(`${server.base}/api/health`)).json();
    assert.equal(health.index.generation, 2);
    const servedManifest = await (await fetch(`${server.base}/index/manifest.json`)).text();
    assert.notEqual(servedManifest, manifestText);
    assert.equal(servedManifest, fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    assert.match(server.log(), /now serving generation 2 \(3 items/);

    // A third generation whose new shard does not match its hash: refused, generation 2 stays. It is
    // built in a copy of the site and damaged there, then its files are put in place and the manifest
    // renamed over the served one last, as the indexer does (the server never sees it undamaged).
    fs.writeFileSync(path.join(collection, 'food', 'bread.txt'), 'Sourdough bread rises slowly overnight before baking.');
    const staging = path.join(root, 'staging');
    fs.cpSync(site, staging, { recursive: true });
    index(collection, staging);
    const broken = JSON.parse(fs.readFileSync(path.join(staging, 'manifest.json'), 'utf8'));
    assert.equal(broken.generation, 3);
    const damagedShard = broken.shards.at(-1).file;
    const bytes = fs.readFileSync(path.join(staging, damagedShard));
    bytes[bytes.length - 9] ^= 0xff;
    fs.writeFileSync(path.join(staging, damagedShard), bytes);
    for (const shard of broken.shards) {
      for (const file of [shard.file, shard.metadata.file]) fs.copyFileSync(path.join(staging, file), path.join(site, file));
    }
    fs.copyFileSync(path.join(staging, 'manifest.json'), path.join(site, 'manifest.json.tmp'));
    fs.renameSync(path.join(site, 'manifest.json.tmp'), path.join(site, 'manifest.json'));
    await waitFor(() => /refused the new index/.test(server.log()), 'the refusal in the log');
    assert.match(server.log(), /refused the new index in .* \(still serving generation 2\): checksum_mismatch: shards\/[0-9a-f]+\.bin does not match its content hash/);
    assert.ok(server.log().includes(`${damagedShard} does not match its content hash`));
    assert.deepEqual(await searchSources(server.base, 'eight arms under the sea'), { generation: 2, first: 'animals/octopus.txt' });
    assert.equal(await (await fetch(`${server.base}/index/manifest.json`)).text(), servedManifest);
    assert.equal((await (await fetch(`${server.base}/api/health`)).json()).index.generation, 2);
    // The files generation 2 names are still there to download.
    for (const shard of JSON.parse(servedManifest).shards) {
      assert.equal((await fetch(`${server.base}/index/${shard.file}`)).status, 200);
    }

    // A stop with the stream still open ends the stream and the process promptly.
    const stopping = Date.now();
    const exit = await server.stop('SIGTERM');
    await events.finished;
    assert.equal(exit.code, 0, server.log());
    assert.ok(Date.now() - stopping < 5000, `the stop took ${Date.now() - stopping} ms`);
    events.close();
  } finally {
    await server.stop('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('event streams are bounded: past the limit a client gets 503 with Retry-After', async () => {
  const { root, site } = makeSite();
  const server = await startServer(site, ['--max-event-streams', '2']);
  try {
    const streams = [await subscribe(`${server.base}/api/events`), await subscribe(`${server.base}/api/events`)];
    await Promise.all(streams.map((stream) => stream.next((event) => event.type === 'generation')));
    const refused = await fetch(`${server.base}/api/events`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.equal((await refused.json()).error.code, 'too_many_streams');
    // A closed stream frees its place.
    streams[0].close();
    await waitFor(async () => {
      const again = await fetch(`${server.base}/api/events`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      const ok = again?.status === 200;
      if (again) await again.body?.cancel().catch(() => {});
      return ok;
    }, 'a free place');
    streams[1].close();
  } finally {
    await server.stop('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});
