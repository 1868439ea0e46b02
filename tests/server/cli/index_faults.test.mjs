// mosaic index under faults, each with its documented outcome (README, "Reliability", the fault matrix):
//   SIGKILL at random points, again and again (MOSAIC_KILL_RUNS times, default 10; make bench: 100),
//     into one site and one cache: after every kill the site loads (the last complete generation, or
//     none before the first completes), every item in it once; the final resume indexes every item
//     exactly once and takes what was embedded before the kills from the cache.
//   the disk filling up while the site is written (a small tmpfs): the run fails with the cause named
//     (No space left on device), the previous generation stays whole and loadable, no temporary file
//     is left; on a disk with room the next run completes, embedding nothing twice.
//   the disk filling up under the embedding cache: the run completes (the cache is an optimization),
//     the cache file keeps every record that fit and opens cleanly; the next run hits those.
// The tmpfs is mounted in a private mount namespace (unshare --mount; as root, or with user
// namespaces): nothing is left mounted even if the test dies. Without either, those rows are skipped.
// Run by ctest with MOSAIC_CLI and MOSAIC_GEMINI_DOUBLE (hashed text vectors: fast and exact).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../../support/processes.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');
const killRuns = Number(process.env.MOSAIC_KILL_RUNS ?? 10);

const apiKey = `index-faults-${randomBytes(6).toString('hex')}`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-faults-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const environment = { ...process.env, GEMINI_API_KEY: apiKey };

const startDouble = (extra = []) =>
  startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text', ...extra], { ready: /listening on 127\.0\.0\.1:(\d+)/ });

function writeNotes(collection, first, count) {
  for (let index = first; index < first + count; ++index) {
    const folder = path.join(collection, `topic-${index % 7}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `note-${String(index).padStart(5, '0')}.txt`),
      `Note ${index} of the fault tests: a short text about day ${index} and topic ${index % 7}.`);
  }
}
const noteSources = (count) => Array.from({ length: count }, (_, index) => `topic-${index % 7}/note-${String(index).padStart(5, '0')}.txt`).sort();

const indexArguments = (collection, site, cache, double) => ['index', collection, '--out', site, '--cache-dir', cache, '--provider', 'gemini',
  '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--dims', '128', '--upstream-attempts', '2', '--upstream-initial-delay-ms', '50'];

// The site as `mosaic query` loads it (every file the manifest names read and checked): the sources of
// its items, sorted. null when the site has no manifest yet.
function loadedSources(site) {
  if (!fs.existsSync(path.join(site, 'manifest.json'))) return null;
  const outcome = spawnSync(cli, ['query', site, 'note', '--mode', 'keyword', '-k', '10000', '--all-chunks', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(outcome.status, 0, `the site in ${site} does not load: ${outcome.stderr}`);
  return JSON.parse(outcome.stdout).results.map((result) => result.item.source).sort();
}

function assertOnce(sources, what) {
  assert.equal(new Set(sources).size, sources.length, `${what}: an item appears more than once`);
}

// Files a writer leaves only while it runs (.NAME.tmpPID); none may outlive a finished run.
function temporaryFiles(folder) {
  return fs.readdirSync(folder, { recursive: true }).filter((name) => /(^|\/)\.[^/]*\.tmp\d*$/.test(name));
}

describe('mosaic index under faults', () => {
  it(`keeps a loadable site through ${killRuns} SIGKILLs at random points, and a resume indexes every item exactly once`, async () => {
    const double = await startDouble(['--latency-ms', '20']);
    const root = fs.mkdtempSync(path.join(scratch, 'kills-'));
    const [collection, site, cache] = ['collection', 'site', 'cache'].map((name) => path.join(root, name));
    try {
      let notes = 150;
      writeNotes(collection, 0, notes);
      // A first complete run: its duration sets the range kill times are drawn from.
      let started = Date.now();
      const first = spawnSync(cli, indexArguments(collection, site, cache, double), { env: environment, encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      let lastDuration = Date.now() - started;
      let complete = noteSources(notes);
      assert.deepEqual(loadedSources(site), complete);
      const outcomes = { killed: 0, completed: 0 };
      const seed = randomBytes(4).readUInt32LE(0);
      let state = seed;
      const random = () => {  // xorshift32: the kill times of a failing run can be replayed from the seed
        state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
        return state / 2 ** 32;
      };
      const delays = [];
      for (let run = 0; run < killRuns; ++run) {
        // New notes each run, so every run embeds some and writes a new generation.
        writeNotes(collection, notes, 10);
        notes += 10;
        const delay = Math.floor(random() * lastDuration * 1.3);
        delays.push(delay);
        started = Date.now();
        const child = spawn(cli, indexArguments(collection, site, cache, double), { env: environment, stdio: 'ignore' });
        const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
        const timer = setTimeout(() => child.kill('SIGKILL'), delay);
        const { code, signal } = await exited;
        clearTimeout(timer);
        const sources = loadedSources(site);
        if (code === 0) {
          outcomes.completed += 1;
          lastDuration = Date.now() - started;
          complete = noteSources(notes);
          assert.deepEqual(sources, complete, `run ${run} completed: every note, once`);
        } else {
          assert.equal(signal, 'SIGKILL', `run ${run} ended with ${code}/${signal}`);
          outcomes.killed += 1;
          // Killed: the last complete generation, or the new one if the kill came after its manifest.
          assertOnce(sources, `run ${run}, killed after ${delay} ms`);
          const isComplete = JSON.stringify(sources) === JSON.stringify(complete);
          const isNew = JSON.stringify(sources) === JSON.stringify(noteSources(notes));
          assert.ok(isComplete || isNew, `run ${run}, killed after ${delay} ms (seed ${seed}): the site holds ${sources.length} items, ` +
                    `neither the last generation (${complete.length}) nor the new one (${notes})`);
          if (isNew) complete = sources;
        }
      }
      console.log(`# ${killRuns} runs (seed ${seed}, kill delays ${delays.join(',')} ms): ${outcomes.killed} killed, ${outcomes.completed} completed`);
      assert.ok(outcomes.killed > 0, 'no run was killed before it ended');
      // The resume: every note exactly once, and the notes embedded before the kills come from the cache.
      const resume = spawnSync(cli, [...indexArguments(collection, site, cache, double), '--json'], { env: environment, encoding: 'utf8' });
      assert.equal(resume.status, 0, resume.stderr);
      const report = JSON.parse(resume.stdout);
      assert.deepEqual(loadedSources(site), noteSources(notes));
      assert.ok(report.cache_hits >= 150, `the resume took ${report.cache_hits} embeddings from the cache`);
      assert.deepEqual(temporaryFiles(site), [], 'temporary files outlived the runs');
    } finally {
      await double.stop();
    }
  });

  // Runs `script` (sh, with `args` as "$@") in a private mount namespace with a tmpfs of `kilobytes`
  // mounted at $DISK; null when no such namespace can be made here.
  function withSmallDisk(kilobytes, script, variables, args = []) {
    const mounted = `mount -t tmpfs -o size=${kilobytes}k tmpfs "$DISK" || exit 97; ${script}`;
    const attempts = process.getuid?.() === 0 ? [['--mount', '--propagation', 'private']] : [];
    attempts.push(['--user', '--map-root-user', '--mount', '--propagation', 'private']);
    for (const flags of attempts) {
      const outcome = spawnSync('unshare', [...flags, 'sh', '-c', mounted, 'sh', ...args],
        { encoding: 'utf8', env: { ...environment, ...variables } });
      if (outcome.status !== 97 && !(outcome.status === 1 && /^unshare:/m.test(outcome.stderr))) return outcome;
    }
    return null;
  }
  let smallDisk;
  const smallDiskAvailable = () => {
    if (smallDisk === undefined) {
      const probe = fs.mkdtempSync(path.join(scratch, 'probe-'));
      smallDisk = withSmallDisk(64, 'true', { DISK: probe })?.status === 0;
    }
    return smallDisk;
  };
  const folderBytes = (folder) => fs.readdirSync(folder, { recursive: true }).reduce((sum, name) => {
    const stat = fs.statSync(path.join(folder, name));
    return sum + (stat.isFile() ? stat.size : 0);
  }, 0);

  it('the disk filling up while the site is written: the cause named, the old site whole, and a resume embeds nothing twice', async (context) => {
    if (!smallDiskAvailable()) return context.skip('cannot mount a tmpfs in a private mount namespace here');
    const double = await startDouble();
    const root = fs.mkdtempSync(path.join(scratch, 'site-disk-'));
    const [collection, cache, disk, seed, saved] = ['collection', 'cache', 'disk', 'seed', 'saved'].map((name) => path.join(root, name));
    fs.mkdirSync(disk);
    try {
      writeNotes(collection, 0, 40);
      const seeded = spawnSync(cli, indexArguments(collection, seed, cache, double), { env: environment, encoding: 'utf8' });
      assert.equal(seeded.status, 0, seeded.stderr);
      // 4,000 more notes: the next generation's files are far larger than the room the disk leaves.
      writeNotes(collection, 40, 4000);
      const kilobytes = Math.ceil(folderBytes(seed) / 1024) + 96;
      const outcome = withSmallDisk(kilobytes,
        'cp -a "$SEED/." "$DISK/site" || exit 98; "$@" > "$SAVED.out" 2> "$SAVED.err"; echo $? > "$SAVED.status"; cp -a "$DISK/site" "$SAVED"',
        { DISK: disk, SEED: seed, SAVED: saved }, [cli, ...indexArguments(collection, path.join(disk, 'site'), cache, double)]);
      assert.ok(outcome && outcome.status === 0, `the run on the small disk: ${outcome?.stderr}`);
      assert.equal(fs.readFileSync(`${saved}.status`, 'utf8').trim(), '1', 'mosaic index must fail when the disk is full');
      assert.match(fs.readFileSync(`${saved}.err`, 'utf8'), /mosaic index: cannot write .*\(No space left on device\)/);
      // The first generation is untouched and loads, every item once; nothing half-written is left.
      assert.equal(fs.readFileSync(path.join(saved, 'manifest.json'), 'utf8'), fs.readFileSync(path.join(seed, 'manifest.json'), 'utf8'));
      assert.deepEqual(loadedSources(saved), noteSources(40));
      assert.deepEqual(temporaryFiles(saved), []);
      // With room again, the run completes; what the full disk interrupted is not embedded again.
      const statsBefore = await (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json();
      const resume = spawnSync(cli, [...indexArguments(collection, saved, cache, double), '--json'], { env: environment, encoding: 'utf8' });
      assert.equal(resume.status, 0, resume.stderr);
      const statsAfter = await (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json();
      assert.equal(JSON.parse(resume.stdout).cache_hits, 4040);
      assert.equal(statsAfter.calls, statsBefore.calls, 'the resume called upstream');
      assert.deepEqual(loadedSources(saved), noteSources(4040));
    } finally {
      await double.stop();
    }
  });

  it('the disk filling up under the embedding cache: the run completes, the cache keeps what fit and opens cleanly', async (context) => {
    if (!smallDiskAvailable()) return context.skip('cannot mount a tmpfs in a private mount namespace here');
    const double = await startDouble();
    const root = fs.mkdtempSync(path.join(scratch, 'cache-disk-'));
    const [collection, site, disk, saved] = ['collection', 'site', 'disk', 'saved'].map((name) => path.join(root, name));
    fs.mkdirSync(disk);
    try {
      writeNotes(collection, 0, 2000);
      // 2,000 records of 128 dimensions are 2000 x 560 bytes = 1.1 MB; the disk holds 400 KB.
      const outcome = withSmallDisk(400,
        '"$@" > "$SAVED.out" 2> "$SAVED.err"; echo $? > "$SAVED.status"; cp -a "$DISK/cache" "$SAVED"',
        { DISK: disk, SAVED: saved }, [cli, ...indexArguments(collection, site, path.join(disk, 'cache'), double), '--json']);
      assert.ok(outcome && outcome.status === 0, `the run on the small disk: ${outcome?.stderr}`);
      assert.equal(fs.readFileSync(`${saved}.status`, 'utf8').trim(), '0', fs.readFileSync(`${saved}.err`, 'utf8'));
      assert.deepEqual(loadedSources(site), noteSources(2000));
      // ... and says what the cache could not keep, and why.
      assert.match(fs.readFileSync(`${saved}.err`, 'utf8'),
                   /mosaic index: note: \d+ embeddings were kept in memory only, not in the cache file \(cannot append to the cache file .*No space left on device\)\)/);
      const report = JSON.parse(fs.readFileSync(`${saved}.out`, 'utf8'));
      // The cache file holds whole records only (the torn last one was cut off at once).
      const [cacheFile] = fs.readdirSync(saved).filter((name) => name.endsWith('.log'));
      const bytes = fs.statSync(path.join(saved, cacheFile)).size;
      assert.equal((bytes - 32) % (48 + 128 * 4), 0, `the cache file (${bytes} bytes) ends in a torn record`);
      const records = (bytes - 32) / (48 + 128 * 4);
      assert.ok(records > 0 && records < 2000, `${records} records on a disk of 400 KB`);
      assert.equal(report.cache_write_failures, 2000 - records);
      // It opens without dropping anything, and the next run takes every record it holds.
      const again = spawnSync(cli, [...indexArguments(collection, site, saved, double), '--json'], { env: environment, encoding: 'utf8' });
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`embedding cache .* \\(${records} entries\\)`));
      assert.equal(JSON.parse(again.stdout).cache_hits, records);
    } finally {
      await double.stop();
    }
  });

  it('a content file cut short outside the indexer (a copy to a full disk) is rewritten by the next run', async () => {
    const double = await startDouble();
    const root = fs.mkdtempSync(path.join(scratch, 'cut-file-'));
    const [collection, site, cache] = ['collection', 'site', 'cache'].map((name) => path.join(root, name));
    try {
      writeNotes(collection, 0, 30);
      const first = spawnSync(cli, indexArguments(collection, site, cache, double), { env: environment, encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
      const shard = path.join(site, manifest.shards[0].file);
      fs.truncateSync(shard, Math.floor(fs.statSync(shard).size / 2));
      // A run killed while writing its manifest leaves its temporary file: the next run removes it.
      fs.writeFileSync(path.join(site, '.manifest.json.tmp4242'), '{"cut');
      const second = spawnSync(cli, indexArguments(collection, site, cache, double), { env: environment, encoding: 'utf8' });
      assert.equal(second.status, 0, second.stderr);
      assert.equal(fs.statSync(shard).size, manifest.shards[0].bytes);
      assert.deepEqual(loadedSources(site), noteSources(30));
      assert.deepEqual(temporaryFiles(site), []);
    } finally {
      await double.stop();
    }
  });
});
