// mosaic index --watch with the local model: after the first generation it follows the folder and
// writes a new one for each added, changed, renamed and removed file (and new folder); editors'
// temporary files start no pass; a file written in two parts is indexed whole; a burst of 1,000 new
// files gives a few generations, not 1,000; --watch-poll finds the same changes by listing the
// folder; SIGTERM stops it with a complete generation in place, and the files of replaced
// generations stay while their grace period lasts; mosaic serve pushes each watch-written generation
// to /api/events and its search finds the new file. Run by ctest with MOSAIC_CLI and MOSAIC_MODEL_DIR.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { subscribe } from '../../support/event_stream.mjs';
import { startProcess } from '../../support/processes.mjs';
import { writeFiles } from '../../support/sample_collection.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-watch-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// A fresh collection with `files`, its site and cache folders.
function makeCollection(name, files) {
  const root = path.join(scratch, name);
  const collection = path.join(root, 'collection');
  fs.mkdirSync(collection, { recursive: true });
  writeFiles(collection, files);
  return { root, collection, site: path.join(root, 'site'), cache: path.join(root, 'cache') };
}

// Starts `mosaic index --watch --json`: every pass prints one JSON report a line on stdout.
// `nextReport()` resolves with the next report not yet taken; `ready` once the watch has begun.
function startWatch({ collection, site, cache }, extra = []) {
  const child = spawn(cli, ['index', collection, '--out', site, '--watch', '--json', '--cache-dir', cache,
    '--watch-quiet-ms', '300', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reports = [];
  let taken = 0;
  let log = '';
  let pending = '';
  const waiters = [];
  const offer = () => {
    while (waiters.length > 0 && taken < reports.length) waiters.shift().resolve(reports[taken++]);
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    let end;
    while ((end = pending.indexOf('\n')) !== -1) {
      reports.push(JSON.parse(pending.slice(0, end)));
      pending = pending.slice(end + 1);
    }
    offer();
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (/mosaic index: watching /.test(log)) resolve();
    });
    exited.then(() => reject(new Error(`mosaic index --watch exited: ${log}`)));
  });
  return {
    ready,
    exited,
    reports,
    log: () => log,
    untaken: () => reports.length - taken,
    nextReport(timeout = 60000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no report in ${timeout} ms: ${log}`)), timeout);
        waiters.push({ resolve: (report) => { clearTimeout(timer); resolve(report); } });
        offer();
      });
    },
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

// Every item of the generation a manifest names: {source: snippet}.
function itemsOf(site, manifest = readJson(path.join(site, 'manifest.json'))) {
  const items = {};
  for (const shard of manifest.shards) {
    for (const item of readJson(path.join(site, shard.metadata.file)).items) items[item.source] = item.snippet;
  }
  return items;
}

const pause = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

// Each change is followed by the report of the generation that holds it; returns that report.
async function expectGeneration(watch, site, generation, expectedItems) {
  const report = await watch.nextReport();
  assert.equal(report.generation, generation, JSON.stringify(report));
  assert.equal(report.unchanged, false);
  const manifest = readJson(path.join(site, 'manifest.json'));
  assert.equal(manifest.generation, generation);
  assert.deepEqual(itemsOf(site, manifest), expectedItems);
  return report;
}

test('added, changed, renamed and removed files each give a new generation; temporary files none', async () => {
  const folder = makeCollection('changes', { 'cheetah.txt': 'The cheetah sprints across the savanna.' });
  const watch = startWatch(folder);
  try {
    await watch.ready;
    const first = await watch.nextReport();
    assert.equal(first.generation, 1);
    const expected = { 'cheetah.txt': 'The cheetah sprints across the savanna.' };
    assert.deepEqual(itemsOf(folder.site), expected);

    fs.writeFileSync(path.join(folder.collection, 'tortoise.txt'), 'A giant tortoise lives for a hundred years.');
    expected['tortoise.txt'] = 'A giant tortoise lives for a hundred years.';
    await expectGeneration(watch, folder.site, 2, expected);

    fs.writeFileSync(path.join(folder.collection, 'cheetah.txt'), 'The cheetah rests in the shade of an acacia.');
    expected['cheetah.txt'] = 'The cheetah rests in the shade of an acacia.';
    const changed = await expectGeneration(watch, folder.site, 3, expected);
    assert.equal(changed.cache_hits, 1, 'the unchanged tortoise comes from the embedding cache');

    // Editors' files (vim's swap and write test, backups, Emacs's lock and autosave, partial
    // downloads): no pass at all, so no report, while the quiet period passes several times over.
    for (const name of ['.tortoise.txt.swp', 'tortoise.txt~', '4913', '.#tortoise.txt', '#tortoise.txt#', 'video.mp4.part', 'save.tmp']) {
      fs.writeFileSync(path.join(folder.collection, name), 'half a save');
    }
    await pause(1500);
    assert.equal(watch.untaken(), 0, `temporary files started a pass: ${JSON.stringify(watch.reports.at(-1))}`);

    fs.renameSync(path.join(folder.collection, 'tortoise.txt'), path.join(folder.collection, 'giant tortoise.txt'));
    expected['giant tortoise.txt'] = expected['tortoise.txt'];
    delete expected['tortoise.txt'];
    const renamed = await expectGeneration(watch, folder.site, 4, expected);
    assert.ok(renamed.skipped.some((file) => file.path === '.tortoise.txt.swp' && /temporary file/.test(file.reason)));

    // A new folder, and a file moved in from outside the collection.
    fs.mkdirSync(path.join(folder.collection, 'birds'));
    fs.writeFileSync(path.join(folder.root, 'falcon.txt'), 'The peregrine falcon dives at enormous speed.');
    fs.renameSync(path.join(folder.root, 'falcon.txt'), path.join(folder.collection, 'birds', 'falcon.txt'));
    expected['birds/falcon.txt'] = 'The peregrine falcon dives at enormous speed.';
    await expectGeneration(watch, folder.site, 5, expected);

    // A file written in two parts with a pause shorter than the quiet period is indexed whole.
    const descriptor = fs.openSync(path.join(folder.collection, 'birds', 'owl.txt'), 'w');
    fs.writeSync(descriptor, 'The barn owl hunts ');
    await pause(100);
    fs.writeSync(descriptor, 'at night by sound alone.');
    fs.closeSync(descriptor);
    expected['birds/owl.txt'] = 'The barn owl hunts at night by sound alone.';
    await expectGeneration(watch, folder.site, 6, expected);

    fs.rmSync(path.join(folder.collection, 'cheetah.txt'));
    delete expected['cheetah.txt'];
    await expectGeneration(watch, folder.site, 7, expected);

    // A save with the same bytes changes nothing: the generation is kept.
    fs.writeFileSync(path.join(folder.collection, 'birds', 'falcon.txt'), 'The peregrine falcon dives at enormous speed.');
    const same = await watch.nextReport();
    assert.equal(same.unchanged, true);
    assert.equal(same.generation, 7);
    assert.equal(readJson(path.join(folder.site, 'manifest.json')).generation, 7);

    // Replaced generations wait out their grace period (300 s with --watch), every file they name in place.
    const retired = fs.readdirSync(path.join(folder.site, 'generations')).sort();
    assert.deepEqual(retired, ['1.json', '2.json', '3.json', '4.json', '5.json', '6.json']);
    for (const name of retired) {
      const old = readJson(path.join(folder.site, 'generations', name));
      assert.ok(Object.keys(itemsOf(folder.site, old)).length > 0);
      for (const shard of old.shards) assert.ok(fs.existsSync(path.join(folder.site, shard.file)), shard.file);
    }
  } finally {
    const { code, signal } = await watch.stop('SIGTERM');
    assert.equal(signal, null, watch.log());
    assert.equal(code, 0, watch.log());
    assert.match(watch.log(), /stopped by SIGTERM; the site's manifest names a complete generation/);
  }
  assert.equal(readJson(path.join(folder.site, 'manifest.json')).generation, 7);
  assert.deepEqual(fs.readdirSync(folder.site).filter((name) => name.includes('.tmp')), []);
});

test('without a grace period only the previous generation is kept', async () => {
  const folder = makeCollection('no-grace', { 'one.txt': 'The first note.' });
  const watch = startWatch(folder, ['--keep-generations-seconds', '0']);
  try {
    await watch.ready;
    await watch.nextReport();
    fs.writeFileSync(path.join(folder.collection, 'two.txt'), 'The second note.');
    await expectGeneration(watch, folder.site, 2, { 'one.txt': 'The first note.', 'two.txt': 'The second note.' });
    fs.writeFileSync(path.join(folder.collection, 'three.txt'), 'The third note.');
    await expectGeneration(watch, folder.site, 3, { 'one.txt': 'The first note.', 'two.txt': 'The second note.', 'three.txt': 'The third note.' });
    assert.equal(fs.existsSync(path.join(folder.site, 'generations')), false);
    // Generation 3's shard and generation 2's: generation 1's is gone.
    assert.equal(fs.readdirSync(path.join(folder.site, 'shards')).length, 2);
  } finally {
    await watch.stop();
  }
});

test('a burst of 1,000 new files gives a few generations, not 1,000', async () => {
  const folder = makeCollection('burst', { 'first.txt': 'The first note of the burst.' });
  const watch = startWatch(folder, ['--watch-quiet-ms', '1000']);
  try {
    await watch.ready;
    assert.equal((await watch.nextReport()).items, 1);
    for (let index = 0; index < 1000; index++) {
      fs.writeFileSync(path.join(folder.collection, `note-${String(index).padStart(4, '0')}.txt`), `burst note number ${index}`);
    }
    let report;
    do report = await watch.nextReport(300000); while (report.items < 1001);
    assert.equal(report.files_indexed, 1001);
    const passes = watch.reports.length - 1;
    assert.ok(passes >= 1 && passes <= 5, `${passes} generations for a burst of 1,000 files`);
    assert.equal(Object.keys(itemsOf(folder.site)).length, 1001);
  } finally {
    await watch.stop();
  }
});

test('--watch-poll finds added, changed and removed files by listing the folder', async () => {
  const folder = makeCollection('polling', { 'soup.txt': 'Tomato soup with basil.' });
  const watch = startWatch(folder, ['--watch-poll', '--watch-poll-ms', '100']);
  try {
    await watch.ready;
    assert.match(watch.log(), /watching .* by polling every 100 ms/);
    await watch.nextReport();
    const expected = { 'soup.txt': 'Tomato soup with basil.' };
    fs.writeFileSync(path.join(folder.collection, 'bread.txt'), 'Bake the loaf in a hot oven.');
    expected['bread.txt'] = 'Bake the loaf in a hot oven.';
    await expectGeneration(watch, folder.site, 2, expected);
    fs.writeFileSync(path.join(folder.collection, 'soup.txt'), 'Pumpkin soup with ginger, a little longer.');
    expected['soup.txt'] = 'Pumpkin soup with ginger, a little longer.';
    await expectGeneration(watch, folder.site, 3, expected);
    fs.renameSync(path.join(folder.collection, 'bread.txt'), path.join(folder.collection, 'loaf.txt'));
    expected['loaf.txt'] = expected['bread.txt'];
    delete expected['bread.txt'];
    await expectGeneration(watch, folder.site, 4, expected);
    fs.rmSync(path.join(folder.collection, 'soup.txt'));
    delete expected['soup.txt'];
    await expectGeneration(watch, folder.site, 5, expected);
  } finally {
    const { code } = await watch.stop('SIGINT');
    assert.equal(code, 0, watch.log());
    assert.match(watch.log(), /stopped by SIGINT/);
  }
});

test('mosaic serve pushes each watch-written generation to /api/events and finds the new file', async () => {
  const folder = makeCollection('served', { 'cheetah.txt': 'The cheetah is the fastest land animal on the savanna.' });
  const watch = startWatch(folder);
  let server;
  try {
    await watch.ready;
    await watch.nextReport();
    server = await startProcess(cli, ['serve', '--site', folder.site, '--port', '0', '--cache-dir', path.join(folder.root, 'serve-cache'),
      '--watch-ms', '100'], { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
    const base = `http://127.0.0.1:${server.port}`;
    const events = await subscribe(`${base}/api/events`);
    assert.equal((await events.next((event) => event.type === 'generation')).data.generation, 1);
    const search = async (text) => (await (await fetch(`${base}/api/search`, { method: 'POST', body: JSON.stringify({ text, k: 1 }) })).json());

    fs.writeFileSync(path.join(folder.collection, 'octopus.txt'), 'An octopus has eight arms and lives under the sea.');
    await events.next((event) => event.type === 'generation' && event.data.generation === 2);
    const found = await search('eight arms under the sea');
    assert.equal(found.generation, 2);
    assert.equal(found.results[0].item.source, 'octopus.txt');

    fs.rmSync(path.join(folder.collection, 'octopus.txt'));
    await events.next((event) => event.type === 'generation' && event.data.generation === 3);
    const gone = await search('eight arms under the sea');
    assert.equal(gone.generation, 3);
    assert.equal(gone.results[0].item.source, 'cheetah.txt');
    events.close();
  } finally {
    await server?.stop();
    await watch.stop();
  }
});
