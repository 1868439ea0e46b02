// mosaic index --batch-jobs against the Gemini test double's batch jobs (asyncBatchEmbedContent):
//   the same site as per-call indexing (the same vectors: vector-search scores equal), no per-call
//     embedding call, the job states on stderr, the cost saving in --json computed from the counted tokens;
//   a job that fails, and one that expires, is submitted once more and the run completes; a job that
//     fails twice stops the run with the job named, the site unwritten, and the other jobs' vectors kept
//     (the next run submits only the rest);
//   an indexer SIGKILLed while a job runs resumes polling it from the journal beside the cache, without
//     submitting any job again (counted at the double), and finishes the same site;
//   bad answers (a succeeded job missing a result, an operation with an unknown state) give clear errors
//     and file nothing; a transient 500 on polling is retried.
// Run by ctest with MOSAIC_CLI and MOSAIC_GEMINI_DOUBLE (hashed text vectors: fast and exact).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../../support/processes.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');

const apiKey = `batch-jobs-${randomBytes(6).toString('hex')}`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-batch-jobs-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const environment = { ...process.env, GEMINI_API_KEY: apiKey };
const notes = 30;
const journalName = 'batch-jobs-gemini-embedding-2.json';

function writeNotes(collection) {
  for (let index = 0; index < notes; ++index) {
    const folder = path.join(collection, `topic-${index % 4}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `note-${String(index).padStart(3, '0')}.txt`),
      `Note ${index} about topic ${index % 4}: the ${['river', 'mountain', 'harbour', 'forest'][index % 4]} on day ${index}.`);
  }
}

let double;
let collection;
let reference;  // the per-call site
const base = () => `http://127.0.0.1:${double.port}`;
const getJson = async (route, init) => {
  const answer = await fetch(`${base()}${route}`, init);
  assert.equal(answer.status, 200, `${route}: ${answer.status}`);
  return answer.json();
};
const jobSettings = (settings) => getJson('/_double/batch-jobs', { method: 'POST', body: JSON.stringify(settings) });
const quickJobs = { pending_polls: 1, running_polls: 1, fail_every: 0, expire_every: 0, poll_500_every: 0, bad_answer_every: 0 };

const indexArguments = (site, cache, extra = []) => ['index', collection, '--out', site, '--cache-dir', cache, '--provider', 'gemini',
  '--gemini-base-url', `${base()}/v1beta`, '--dims', '128', '--upstream-attempts', '3', '--upstream-initial-delay-ms', '20', ...extra];
const batchArguments = ['--batch-jobs', '--batch-job-inputs', '10', '--batch-poll-ms', '20', '--batch-poll-max-ms', '80', '--json'];

// With --json a failure is a JSON error on stdout; progress and notes are on stderr.
const said = (outcome) => `${outcome.stdout}\n${outcome.stderr}`;

// Asynchronously: the odd upstream below is served by this very process, which spawnSync would block.
function runAsync(args) {
  return new Promise((resolve) => {
    const child = spawn(cli, args, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

function runIndex(site, cache, extra) {
  return spawnSync(cli, indexArguments(site, cache, extra), { env: environment, encoding: 'utf8', maxBuffer: 1 << 26 });
}

// Vector search over a site with the double embedding the queries: equal results (items and scores)
// mean equal vectors.
function vectorResults(site) {
  const results = [];
  for (const text of ['river', 'mountain day 7', 'forest note']) {
    const outcome = spawnSync(cli, ['query', site, text, '--mode', 'vector', '-k', '50', '--all-chunks', '--json', '--provider', 'gemini',
      '--gemini-base-url', `${base()}/v1beta`, '--no-cache'], { env: environment, encoding: 'utf8' });
    assert.equal(outcome.status, 0, outcome.stderr);
    results.push(JSON.parse(outcome.stdout).results.map((result) => [result.item.source, result.item.chunk ?? null, result.score]));
  }
  return results;
}

const freshFolders = (name) => {
  const root = fs.mkdtempSync(path.join(scratch, `${name}-`));
  return [path.join(root, 'site'), path.join(root, 'cache')];
};

describe('mosaic index --batch-jobs', () => {
  before(async () => {
    double = await startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text'], { ready: /listening on 127\.0\.0\.1:(\d+)/ });
    collection = path.join(scratch, 'collection');
    writeNotes(collection);
    const [site, cache] = freshFolders('per-call');
    const outcome = runIndex(site, cache, ['--json']);
    assert.equal(outcome.status, 0, outcome.stderr);
    assert.equal(JSON.parse(outcome.stdout).items, notes);
    reference = vectorResults(site);
  });
  after(async () => double?.stop());

  it('builds the same site as per-call indexing, through jobs only, and reports job states and the saving', async () => {
    await jobSettings(quickJobs);
    const [site, cache] = freshFolders('same-site');
    const callsBefore = (await getJson('/_double/stats')).calls;
    const jobsBefore = (await getJson('/_double/batch-jobs')).jobs_created;
    const outcome = runIndex(site, cache, batchArguments);
    assert.equal(outcome.status, 0, outcome.stderr);
    const report = JSON.parse(outcome.stdout);
    assert.equal(report.items, notes);
    assert.equal((await getJson('/_double/stats')).calls, callsBefore, 'no per-call embedding call was made');
    assert.equal(report.upstream_calls, 0);
    assert.equal((await getJson('/_double/batch-jobs')).jobs_created - jobsBefore, 3, '30 inputs in jobs of 10');
    const jobs = report.batch_jobs;
    assert.equal(jobs.jobs_submitted, 3);
    assert.equal(jobs.jobs_succeeded, 3);
    assert.equal(jobs.results_filed, notes);
    assert.equal(jobs.inputs_submitted, notes);
    assert.equal(report.cache_hits, notes, 'the usual embedding step found every vector in the cache');
    assert.match(outcome.stderr, /batch jobs: 3 pending, 0 running, 0 succeeded/);
    assert.match(outcome.stderr, /batch jobs: 0 pending, 3 running, 0 succeeded/);
    assert.match(outcome.stderr, /batch jobs: 0 pending, 0 running, 3 succeeded; 30 vectors filed/);
    // The double counts a text's words as its tokens: each note has 13 or 14, plus the document prefix.
    const cost = jobs.cost;
    assert.equal(cost.results_with_token_count, notes);
    assert.ok(cost.counted_tokens >= notes * 13, `counted ${cost.counted_tokens} tokens`);
    assert.equal(cost.price_per_million_tokens_usd, 0.2);
    assert.ok(Math.abs(cost.per_call_usd - cost.counted_tokens * 0.2 / 1e6) < 1e-12);
    assert.ok(Math.abs(cost.batch_usd - cost.per_call_usd / 2) < 1e-12);
    assert.ok(Math.abs(cost.saving_usd - cost.per_call_usd / 2) < 1e-12);
    assert.ok(!fs.existsSync(path.join(cache, journalName)), 'the journal is removed once every job is filed');
    assert.deepEqual(vectorResults(site), reference, 'the same vectors as per-call indexing');
    // A second batch run finds everything cached: no job.
    const again = runIndex(site, cache, batchArguments);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).batch_jobs.jobs_submitted, 0);
    assert.equal(JSON.parse(again.stdout).batch_jobs.inputs_already_cached, notes);
  });

  for (const [fault, state] of [['fail_every', 'failed'], ['expire_every', 'expired']]) {
    it(`submits a job that ends ${state} once more, and completes the same site`, async () => {
      await jobSettings({ ...quickJobs, [fault]: 3 });  // the third job of three; its resubmission is the fourth
      const [site, cache] = freshFolders(state);
      const outcome = runIndex(site, cache, batchArguments);
      assert.equal(outcome.status, 0, outcome.stderr);
      const jobs = JSON.parse(outcome.stdout).batch_jobs;
      assert.equal(jobs.jobs_submitted, 4);
      assert.equal(jobs.jobs_resubmitted, 1);
      assert.equal(jobs.results_filed, notes);
      assert.match(outcome.stderr, new RegExp(`batch job batches/\\S+ ${state} \\(.+\\): submitting its 10 inputs again`));
      assert.match(outcome.stderr, new RegExp(`3 succeeded, 1 ${state} \\(1 resubmitted\\)`));
      assert.deepEqual(vectorResults(site), reference);
    });
  }

  it('stops when a job fails twice, naming it, without writing the site; the next run submits only that job\'s inputs', async () => {
    await jobSettings({ ...quickJobs, fail_every: 2 });  // jobs 2 and 4 (its resubmission) fail; 1 and 3 succeed
    const [site, cache] = freshFolders('fails-twice');
    const outcome = runIndex(site, cache, batchArguments);
    assert.equal(outcome.status, 1, outcome.stdout);
    assert.match(said(outcome), /batch jobs stopped, the site was not changed: 1 batch job gave no vectors: batches\/\S+ failed \(The batch job failed/);
    assert.match(outcome.stderr, /2 succeeded, 2 failed \(1 resubmitted\); 20 vectors filed/);
    assert.ok(!fs.existsSync(path.join(site, 'manifest.json')), 'no site was written');
    assert.ok(!fs.existsSync(path.join(cache, journalName)), 'no job is left in the journal');
    await jobSettings(quickJobs);
    const resume = runIndex(site, cache, batchArguments);
    assert.equal(resume.status, 0, resume.stderr);
    const jobs = JSON.parse(resume.stdout).batch_jobs;
    assert.equal(jobs.inputs_already_cached, 20, 'the two jobs that succeeded were kept');
    assert.equal(jobs.inputs_submitted, 10);
    assert.deepEqual(vectorResults(site), reference);
  });

  it('resumes after a SIGKILL while a job runs, polling it instead of submitting anything again', async () => {
    // Job 3 fails; its resubmission (job 4) then stays pending until the test lets it go.
    await jobSettings({ ...quickJobs, fail_every: 3 });
    const [site, cache] = freshFolders('killed');
    const child = spawn(cli, indexArguments(site, cache, batchArguments), { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let stderr = '';
    child.stderr.setEncoding('utf8');
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no resubmission within 60 s: ${stderr}`)), 60000);
      child.stderr.on('data', async (chunk) => {
        stderr += chunk;
        if (/submitting its 10 inputs again/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // Hold the resubmitted job: it stays pending while the indexer polls it, then kill the indexer.
    await jobSettings({ ...quickJobs, pending_polls: 1000000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    assert.ok(!fs.existsSync(path.join(site, 'manifest.json')));
    const journal = JSON.parse(fs.readFileSync(path.join(cache, journalName), 'utf8'));
    assert.equal(journal.jobs.length, 1, 'only the running job is in the journal');
    assert.equal(journal.jobs[0].attempt, 2);
    assert.equal(journal.jobs[0].keys.length, 10);
    const before = await getJson('/_double/batch-jobs');
    const pending = before.jobs.find((job) => job.name === journal.jobs[0].name);
    assert.equal(pending.state, 'BATCH_STATE_PENDING');
    await jobSettings(quickJobs);
    const resume = runIndex(site, cache, batchArguments);
    assert.equal(resume.status, 0, resume.stderr);
    const after = await getJson('/_double/batch-jobs');
    assert.equal(after.jobs_created, before.jobs_created, 'the resume submitted no job');
    const jobs = JSON.parse(resume.stdout).batch_jobs;
    assert.equal(jobs.jobs_resumed, 1);
    assert.equal(jobs.jobs_submitted, 0);
    assert.equal(jobs.inputs_already_cached, 20);
    assert.equal(jobs.results_filed, 10);
    assert.ok(!fs.existsSync(path.join(cache, journalName)));
    assert.deepEqual(vectorResults(site), reference);
  });

  it('refuses a succeeded job with a result missing, files nothing of it, and retries transient poll errors', async () => {
    await jobSettings({ ...quickJobs, bad_answer_every: 1, poll_500_every: 2 });
    const [site, cache] = freshFolders('bad-answer');
    const outcome = runIndex(site, cache, batchArguments);
    assert.equal(outcome.status, 1, outcome.stdout);
    assert.match(said(outcome), /3 batch jobs gave no vectors: batches\/\S+ unreadable \(the batch job answer for batches\/\S+ holds 9 results for 10 requests\)/);
    assert.match(outcome.stderr, /0 succeeded, 3 unreadable; 0 vectors filed/);
    assert.ok(!fs.existsSync(path.join(site, 'manifest.json')));
    await jobSettings({ ...quickJobs, poll_500_every: 2 });
    const resume = runIndex(site, cache, batchArguments);
    assert.equal(resume.status, 0, resume.stderr);
    const jobs = JSON.parse(resume.stdout).batch_jobs;
    assert.equal(jobs.inputs_already_cached, 0, 'nothing of the unreadable answers was filed');
    assert.equal(jobs.results_filed, notes);
    assert.ok(jobs.retried_calls > 0, 'the 500s on polling were retried');
    assert.deepEqual(vectorResults(site), reference);
  });

  it('names an operation it cannot read, and an upstream that refuses batch jobs', async () => {
    const answers = [
      [200, JSON.stringify({ name: 'batches/odd', metadata: { state: 'BATCH_STATE_DREAMING' } }), /has an unknown state \\?"BATCH_STATE_DREAMING/],
      [200, 'not json at all', /the batch job answer is not JSON/],
      [400, JSON.stringify({ error: { code: 400, message: 'Batch API is not enabled', status: 'FAILED_PRECONDITION' } }),
        /Gemini refused the batch job \(HTTP 400 FAILED_PRECONDITION: Batch API is not enabled\)/],
    ];
    for (const [status, body, expected] of answers) {
      const server = http.createServer((request, response) => {
        request.resume();
        request.on('end', () => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(body);
        });
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const [site, cache] = freshFolders('odd-upstream');
        const outcome = await runAsync(['index', collection, '--out', site, '--cache-dir', cache, '--provider', 'gemini', '--gemini-base-url',
          `http://127.0.0.1:${server.address().port}/v1beta`, '--dims', '128', '--upstream-attempts', '1', ...batchArguments]);
        assert.equal(outcome.status, 1, said(outcome));
        assert.match(said(outcome), expected);
        assert.ok(!fs.existsSync(path.join(site, 'manifest.json')));
        assert.ok(!fs.existsSync(path.join(cache, journalName)), 'nothing untracked was journaled');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it('refuses --batch-jobs without a cache and with --watch, and its settings without it', () => {
    const [site, cache] = freshFolders('refusals');
    for (const [extra, expected] of [
      [['--no-cache'], /cannot run with --no-cache/],
      [['--watch'], /cannot be combined with --watch/],
    ]) {
      const outcome = runIndex(site, cache, ['--batch-jobs', ...extra]);
      assert.equal(outcome.status, 2, outcome.stderr);
      assert.match(outcome.stderr, expected);
    }
    const lonely = runIndex(site, cache, ['--batch-poll-ms', '10']);
    assert.equal(lonely.status, 2);
    assert.match(lonely.stderr, /go with --batch-jobs/);
  });
});
