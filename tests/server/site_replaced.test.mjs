// The fault matrix's rows for the served site itself (README, "Reliability"): the site folder removed
// under `mosaic serve`, then written again; the folder swapped for another site (a rename, as a
// deploy does); swapped for a site of another model; and for a folder that holds no site. Documented
// outcome: the server never stops or crashes; search, health and the manifest keep answering from the
// generation in memory; files that are gone answer 404; a new, valid site is swapped in as soon as
// the watcher sees it; a site it must refuse is refused (the log says why) and the old one stays.
// Run by ctest with MOSAIC_CLI set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';
import { makeIndexedSite, runMosaic, writeFiles } from '../support/sample_collection.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');

async function startServer(site) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-replaced-cache-'));
  const server = await startProcess(cli, ['serve', '--site', site, '--port', '0', '--cache-dir', cache, '--watch-ms', '100'],
    { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
  server.exited.then(() => fs.rmSync(cache, { recursive: true, force: true }));
  return { ...server, base: `http://127.0.0.1:${server.port}` };
}

async function state(base) {
  const health = await fetch(`${base}/api/health`);
  const search = await fetch(`${base}/api/search`, { method: 'POST', body: JSON.stringify({ text: 'fastest animal', k: 10 }) });
  const manifest = await fetch(`${base}/index/manifest.json`);
  const searchJson = await search.json();
  return {
    health: health.status, items: (await health.json()).index?.items, search: search.status, generation: searchJson.generation,
    sources: (searchJson.results ?? []).map((result) => result.item.source).sort(), manifest: manifest.status,
    shards: manifest.status === 200 ? (await manifest.json()).shards : [],
  };
}

async function waitFor(condition, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Longer than several watcher rounds (100 ms each): time for a wrong swap to happen if it would.
const watcherRounds = () => new Promise((resolve) => setTimeout(resolve, 600));

test('the site folder removed, written again, swapped for another site, for another model\'s, and for a non-site', async () => {
  const { root, collection, site } = makeIndexedSite(cli, 'mosaic-replaced-');
  const server = await startServer(site);
  try {
    const first = await state(server.base);
    assert.deepEqual([first.health, first.search, first.manifest, first.items], [200, 200, 200, 2]);

    // Removed: the generation in memory keeps answering; its files on disk are gone (404, not 500).
    fs.rmSync(site, { recursive: true, force: true });
    await watcherRounds();
    const removed = await state(server.base);
    assert.deepEqual([removed.health, removed.search, removed.manifest, removed.generation], [200, 200, 200, first.generation]);
    assert.deepEqual(removed.sources, first.sources);
    assert.equal((await fetch(`${server.base}/index/${first.shards[0].file}`)).status, 404);

    // Written again by mosaic index: swapped in (a new generation numbering from 1 again is still new).
    writeFiles(collection, { 'animals/falcon.txt': 'The peregrine falcon dives faster than any other animal.' });
    runMosaic(cli, ['index', collection, '--out', site]);
    await waitFor(async () => (await state(server.base)).items === 3, 'the re-created site served');
    const recreated = await state(server.base);
    assert.equal((await fetch(`${server.base}/index/${recreated.shards[0].file}`)).status, 200);

    // Swapped for another site by renames (a deploy): the other site is served.
    const other = path.join(root, 'other-collection');
    writeFiles(other, { 'music/trio.txt': 'A jazz trio plays late into the night.', 'music/choir.txt': 'A choir sings in a stone church.',
                        'animals/cheetah.txt': 'The cheetah is the fastest land animal on the savanna.', 'food/bread.txt': 'Bake the loaf hot.' });
    const otherSite = path.join(root, 'other-site');
    runMosaic(cli, ['index', other, '--out', otherSite]);
    fs.renameSync(site, path.join(root, 'old-site'));
    fs.renameSync(otherSite, site);
    await waitFor(async () => (await state(server.base)).items === 4, 'the swapped-in site served');
    const swapped = await state(server.base);
    assert.ok(swapped.sources.includes('music/trio.txt'), JSON.stringify(swapped.sources));
    assert.equal((await fetch(`${server.base}/index/${swapped.shards[0].file}`)).status, 200);

    // Swapped for a site of another model: refused, the log says why, the served one stays.
    const foreign = path.join(root, 'foreign-site');
    fs.cpSync(site, foreign, { recursive: true });
    const manifestPath = path.join(foreign, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    manifest.model = 'gemini-embedding-2';
    manifest.generation += 1;
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    fs.renameSync(site, path.join(root, 'swapped-site'));
    fs.renameSync(foreign, site);
    await waitFor(() => /refused the new index .*needs model 'gemini-embedding-2'/.test(server.log()), 'the foreign site refused');
    const refused = await state(server.base);
    assert.deepEqual([refused.health, refused.search, refused.items, refused.generation], [200, 200, 4, swapped.generation]);

    // A folder that holds no site (no manifest): nothing to swap in, the served one stays.
    fs.rmSync(site, { recursive: true, force: true });
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'notes.txt'), 'not an index');
    await watcherRounds();
    const empty = await state(server.base);
    assert.deepEqual([empty.health, empty.search, empty.items, empty.generation], [200, 200, 4, swapped.generation]);

    // And the server stops cleanly after all of it.
    const { code } = await server.stop();
    assert.equal(code, 0, server.log());
  } finally {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
