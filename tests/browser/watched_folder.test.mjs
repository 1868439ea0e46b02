// A folder that keeps itself indexed, seen from a browser: `mosaic index --watch` follows the
// collection, `mosaic serve` swaps each generation it writes in and tells open pages through
// /api/events, and the web app, never reloaded, finds a file added to the folder, a file's new
// words after an edit, a renamed file under its new name, and loses a removed file. Screenshot:
// watched-folder.png. Run by ctest in build-wasm; environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';
import {
  browserTestEnvironment, openApp, pageRunner, resultCards, sampleFiles, searchFor, startAppServer, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();

let root, collection, site, watcher, server, withPage;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-watched-folder-'));
  collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, sampleFiles);
  // The first pass is written before "watching" is printed, so serve finds a site.
  watcher = await startProcess(nativeCli, ['index', collection, '--out', site, '--watch', '--model-dir', modelDirectory,
    '--cache-dir', path.join(root, 'index-cache'), '--shard-items', '2', '--watch-quiet-ms', '300'],
  { ready: /()mosaic index: watching / });
  server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root, extra: ['--watch-ms', '200'] });
  withPage = pageRunner({ playwright, root, screenshotDirectory });
});

after(async () => {
  const stopped = await watcher?.stop();
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
  // A clean stop: SIGTERM between passes ends the watch at once with its exit code 0.
  if (stopped) assert.deepEqual(stopped, { code: 0, signal: null }, watcher.log());
});

const generationOf = (page) => page.getAttribute('mosaic-search', 'data-generation');

// Waits until the page shows a generation after `previous` (the page is told; nothing reloads it).
async function nextGeneration(page, previous) {
  await page.waitForFunction((seen) => Number(document.querySelector('mosaic-search').dataset.generation) > seen,
    Number(previous), { timeout: 60000 });
  return generationOf(page);
}

test('a page open on a watched folder sees each file added, changed, renamed and removed, without a reload', async () => {
  await withPage('watched-folder', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    let generation = await generationOf(page);
    assert.equal(generation, '1');
    const itemCount = () => page.textContent('#status');
    assert.match(await itemCount(), new RegExp(`^${Object.keys(sampleFiles).length} items`));

    // Added: a new file in a new folder.
    writeFiles(collection, { 'sea/octopus.txt': 'The octopus has eight arms and changes colour to hide on the coral reef.' });
    generation = await nextGeneration(page, generation);
    await searchFor(page, 'eight arms on the coral reef');
    assert.match((await resultCards(page))[0].title, /octopus/i, 'the added file is found');
    assert.match(await itemCount(), new RegExp(`^${Object.keys(sampleFiles).length + 1} items`));

    // Changed: the same file with other words, found by them.
    fs.writeFileSync(path.join(collection, 'sea', 'octopus.txt'), 'A lighthouse keeper climbs the spiral stairs each night to light the lamp.');
    generation = await nextGeneration(page, generation);
    await searchFor(page, 'lighthouse keeper lights the lamp');
    assert.match((await resultCards(page))[0].title, /octopus/i, 'the edited words are found in the changed file');

    // Renamed: found under its new name, the old name gone.
    fs.renameSync(path.join(collection, 'sea', 'octopus.txt'), path.join(collection, 'sea', 'lighthouse.txt'));
    generation = await nextGeneration(page, generation);
    await searchFor(page, 'lighthouse keeper lights the lamp');
    const titles = (await resultCards(page)).map((card) => card.title);
    assert.match(titles[0], /lighthouse/i, 'the renamed file is found under its new name');
    assert.ok(!titles.some((title) => /octopus/i.test(title)), `the old name is gone: ${titles.join(', ')}`);
    assert.match(await itemCount(), new RegExp(`^${Object.keys(sampleFiles).length + 1} items`));

    // Removed: the file and the folder it was alone in.
    fs.rmSync(path.join(collection, 'sea'), { recursive: true });
    generation = await nextGeneration(page, generation);
    await searchFor(page, 'lighthouse keeper lights the lamp');
    assert.ok(!(await resultCards(page)).some((card) => /lighthouse|octopus/i.test(card.title)), 'the removed file is gone');
    assert.match(await itemCount(), new RegExp(`^${Object.keys(sampleFiles).length} items`));
  }, { viewport: { width: 375, height: 740 } });
});
