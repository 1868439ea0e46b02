// The mosaic command line as scripts see it: `mosaic --version` (text and --json) names the format
// versions a site written by this binary carries; with --json every command prints its report as
// JSON and its failures as {"error": {"code", "message"}} on stdout with the usual exit code (2 bad
// usage, 1 failure while working); serve's start-up line and export's report as JSON; and the bash
// completion script (`mosaic completion bash`), sourced in bash, completes commands, every option each
// command's --help lists, fixed values and paths. Run by ctest with MOSAIC_CLI and MOSAIC_MODEL_DIR.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../../support/processes.mjs';
import { makeIndexedSite } from '../../support/sample_collection.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');

const { root, collection, site } = makeIndexedSite(cli, 'mosaic-cli-interface-');
after(() => fs.rmSync(root, { recursive: true, force: true }));

const run = (args) => spawnSync(cli, args, { encoding: 'utf8' });
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

test('--version names the program and the formats a site written by this binary carries', () => {
  const text = run(['--version']);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /^mosaic \d+\.\d+\.\d+\n/);
  const json = run(['--version', '--json']);
  assert.equal(json.status, 0);
  const version = JSON.parse(json.stdout);
  assert.equal(version.program, 'mosaic');
  assert.equal(text.stdout.split('\n')[0], `mosaic ${version.version}`);
  assert.deepEqual(Object.keys(version.formats).sort(), ['item_metadata', 'keywords', 'manifest', 'partition', 'shard']);
  assert.match(text.stdout, new RegExp(`site manifest ${version.formats.manifest}, shard ${version.formats.shard}, ` +
    `partition ${version.formats.partition}, keyword index ${version.formats.keywords}, item metadata ${version.formats.item_metadata}`));
  // The numbers are the ones the writers put in the files.
  const manifest = readJson(path.join(site, 'manifest.json'));
  assert.equal(manifest.format_version, version.formats.manifest);
  const items = readJson(path.join(site, manifest.shards[0].metadata.file));
  assert.equal(items.format_version, version.formats.item_metadata);
  const shard = fs.readFileSync(path.join(site, manifest.shards[0].file));
  assert.equal(shard.readUInt16LE(8), version.formats.shard, 'the shard header: 8 bytes of magic, then the version');
});

// A failure with --json: one object on stdout, nothing else there, and the exit code.
function expectJsonError(args, status, code, message) {
  const outcome = run(args);
  assert.equal(outcome.status, status, `${args.join(' ')}: ${outcome.stdout} ${outcome.stderr}`);
  const answer = JSON.parse(outcome.stdout);
  assert.deepEqual(Object.keys(answer), ['error']);
  assert.deepEqual(Object.keys(answer.error).sort(), ['code', 'message']);
  assert.equal(answer.error.code, code);
  assert.match(answer.error.message, message);
  // Without --json the same failure is a line on stderr.
  const plain = run(args.filter((argument) => argument !== '--json'));
  assert.equal(plain.status, status);
  assert.doesNotMatch(plain.stdout, /"error"/);
  assert.match(plain.stderr, message);
}

test('with --json, failures of every command are {"error": {"code", "message"}} on stdout', () => {
  const missing = path.join(root, 'no-such-site');
  expectJsonError(['index', collection, '--json'], 2, 'usage', /--out SITE is required/);
  expectJsonError(['index', collection, '--out', path.join(root, 'other'), '--layout', 'round', '--json'], 2, 'usage', /--layout must be/);
  expectJsonError(['index', path.join(root, 'no-such-folder'), '--out', path.join(root, 'other'), '--json'], 1, 'io_error', /is not a folder/);
  expectJsonError(['query', missing, 'cheetah', '--json'], 1, 'io_error', /manifest\.json/);
  expectJsonError(['query', site, '--json'], 2, 'usage', /give SITE and one query text/);
  expectJsonError(['query', site, 'cheetah', '--mode', 'loud', '--json'], 2, 'usage', /--mode must be hybrid, vector or keyword/);
  expectJsonError(['classify', missing, 'cheetah', '--json'], 1, 'io_error', /manifest\.json/);
  expectJsonError(['embed', '--json'], 2, 'usage', /give exactly one text/);
  expectJsonError(['serve', '--site', missing, '--port', '0', '--no-cache', '--json'], 1, 'io_error', /cannot load the index/);
  expectJsonError(['serve', '--bogus', '--json'], 2, 'usage', /unknown option --bogus/);
  expectJsonError(['export', missing, '--out', path.join(root, 'export-missing'), '--web', path.join(root, 'no-app'), '--json'], 1,
    'io_error', /is not an assembled web app/);
  expectJsonError(['bogus', '--json'], 2, 'usage', /unknown command 'bogus'/);
  expectJsonError(['completion', 'fish', '--json'], 2, 'usage', /bash/);
});

test('with --json, index, query, serve and export report as JSON', async () => {
  const indexed = JSON.parse(run(['index', collection, '--out', site, '--json']).stdout);
  assert.equal(indexed.items, 2);
  assert.equal(indexed.unchanged, false);
  const query = run(['query', site, 'the fastest land animal', '--json']);
  assert.equal(query.status, 0, query.stderr);
  assert.equal(JSON.parse(query.stdout).results[0].item.source, 'animals/cheetah.txt');

  const server = await startProcess(cli, ['serve', '--site', site, '--port', '0', '--cache-dir', path.join(root, 'serve-cache'), '--json'],
    { ready: /"listening":"http:\/\/127\.0\.0\.1:(\d+)\/"/ });
  try {
    const startLine = server.log().split('\n').find((line) => line.startsWith('{'));
    const started = JSON.parse(startLine);
    assert.equal(started.port, server.port);
    assert.equal(started.address, '127.0.0.1');
    assert.equal(started.generation, indexed.generation);
    assert.equal(started.site, site);
    assert.equal(started.model, indexed.model);
    const health = await (await fetch(`${started.listening}api/health`)).json();
    assert.equal(health.index.generation, indexed.generation);
  } finally {
    await server.stop();
  }

  // A stand-in web app (the export copies it as it is), with the local model's manifest.
  const app = path.join(root, 'app');
  fs.mkdirSync(path.join(app, 'model'), { recursive: true });
  for (const file of ['index.html', 'mosaic.mjs', 'model/model.json']) fs.writeFileSync(path.join(app, file), '{}');
  const out = path.join(root, 'exported');
  const exported = run(['export', site, '--out', out, '--web', app, '--json']);
  assert.equal(exported.status, 0, exported.stderr);
  const report = JSON.parse(exported.stdout);
  assert.equal(report.out, out);
  assert.equal(report.generation, indexed.generation);
  assert.equal(report.model_in_browser, true);
  assert.equal(report.needs_proxy, false);
  assert.equal(report.index_files, fs.readdirSync(path.join(out, 'index'), { recursive: true })
    .filter((name) => fs.statSync(path.join(out, 'index', name)).isFile()).length);
});

// Runs the completion function as bash would for `words` (the last one being completed).
const completionScript = path.join(root, 'mosaic-completion.bash');

function complete(words) {
  if (!fs.existsSync(completionScript)) {
    const script = run(['completion', 'bash']);
    assert.equal(script.status, 0, script.stderr);
    fs.writeFileSync(completionScript, script.stdout);
  }
  const quoted = words.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  const outcome = spawnSync('bash', ['-c', `source '${completionScript}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _mosaic; ` +
    'printf "%s\\n" "${COMPREPLY[@]}"'], { encoding: 'utf8', cwd: root });
  assert.equal(outcome.status, 0, outcome.stderr);
  return outcome.stdout.split('\n').filter(Boolean).sort();
}

test('the bash completion script completes commands, every option --help lists, values and paths', () => {
  assert.deepEqual(complete(['mosaic', '']), ['--help', '--version', 'classify', 'completion', 'embed', 'export', 'index', 'query', 'serve']);
  assert.deepEqual(complete(['mosaic', 'ex']), ['export']);
  assert.deepEqual(complete(['mosaic', 'index', collection, '--wat']),
    ['--watch', '--watch-max-batch-ms', '--watch-poll', '--watch-poll-ms', '--watch-quiet-ms']);
  assert.deepEqual(complete(['mosaic', 'index', collection, '--layout', '']), ['auto', 'flat', 'partitioned']);
  assert.deepEqual(complete(['mosaic', 'query', site, 'text', '--mode', 'h']), ['hybrid']);
  assert.deepEqual(complete(['mosaic', 'serve', '--js']), ['--json']);
  assert.deepEqual(complete(['mosaic', '--version', '--']), ['--json']);
  assert.deepEqual(complete(['mosaic', 'completion', '']), ['bash']);
  // A path option and a positional argument complete file names (bash runs in `root`).
  assert.deepEqual(complete(['mosaic', 'index', 'coll']), ['collection']);
  assert.deepEqual(complete(['mosaic', 'serve', '--site', 'si']), ['site']);
  // A value that is not a path or a choice (a number) gets no file names.
  assert.deepEqual(complete(['mosaic', 'index', 'collection', '--dims', '']), []);
  // Every option a command's --help lists is completed for that command.
  for (const command of ['index', 'query', 'classify', 'serve', 'embed', 'export', 'completion']) {
    const help = run([command, '--help']);
    assert.equal(help.status, 0, `${command} --help`);
    const listed = new Set([...help.stdout.matchAll(/^ {2}(--[a-z][a-z-]*|-k)\b/gm)].map((match) => match[1]));
    assert.ok(listed.size > 0 || command === 'completion' || command === 'embed', `${command} --help lists options`);
    const completed = new Set(complete(['mosaic', command, '-']));
    for (const option of listed) assert.ok(completed.has(option), `mosaic ${command} ${option} is not completed`);
  }
});
