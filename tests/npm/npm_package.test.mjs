// The npm package as a site's developer meets it: build-wasm/npm is packed with `npm pack`, the
// tarball installed into a scratch project (npm install of a local tarball, --offline: nothing comes
// from the registry), its declarations checked by tsc --strict against a consumer program, a search
// run from Node through the package's name, and a page bundled by esbuild from the installed package
// loaded in Chromium, where the wasm files the bundler wrote must resolve and answer a search.
// Run by ctest in build-wasm (wasm.npm.package). Environment: MOSAIC_NPM_PACKAGE_DIR (build-wasm/npm)
// and the browser tests' (tests/browser/browser.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { browserTestEnvironment, launchBrowser, runMosaic, sampleFiles, startAppServer, writeFiles } from '../browser/browser.mjs';

const { nativeCli, modelDirectory, testPackages, screenshotDirectory, playwright } = browserTestEnvironment();
const packageDirectory = process.env.MOSAIC_NPM_PACKAGE_DIR;
const consumerDirectory = fileURLToPath(new URL('consumer/', import.meta.url));
const query = 'which animal runs fastest';

let root, site, scratch, packageJson;

// A command that must succeed; its output is returned, its failure fails the test with what it said.
function run(command, args, options = {}) {
  const outcome = spawnSync(command, args, { encoding: 'utf8', ...options });
  assert.equal(outcome.status, 0, `${command} ${args.join(' ')}:\n${outcome.stdout}\n${outcome.stderr}`);
  return outcome.stdout;
}

const nativeTop = () => JSON.parse(runMosaic(nativeCli, ['query', site, query, '-k', '3', '--mode', 'vector', '--json', '--model-dir', modelDirectory])).results;

before(() => {
  assert.ok(packageDirectory && fs.existsSync(path.join(packageDirectory, 'package.json')), 'MOSAIC_NPM_PACKAGE_DIR: build the wasm tree first');
  packageJson = JSON.parse(fs.readFileSync(path.join(packageDirectory, 'package.json'), 'utf8'));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-npm-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, sampleFiles);
  runMosaic(nativeCli, ['index', collection, '--out', site, '--model-dir', modelDirectory]);
  // Packed as `npm publish` would, then installed from the tarball with the registry out of reach.
  const packed = JSON.parse(run('npm', ['pack', packageDirectory, '--json', '--pack-destination', root], { cwd: root }));
  scratch = path.join(root, 'scratch');
  fs.mkdirSync(scratch);
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-site', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(root, packed[0].filename)], { cwd: scratch });
});

after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('the tarball holds the API, its declarations, both wasm modules, the element and the README, named and versioned as package.json says', () => {
  const installed = path.join(scratch, 'node_modules', packageJson.name);
  const installedJson = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(installedJson.name, 'mosaic-search');
  assert.match(installedJson.version, /^\d+\.\d+\.\d+$/);
  for (const file of ['mosaic.mjs', 'mosaic.d.ts', 'mosaic-core.mjs', 'mosaic-core.wasm', 'mosaic-model.mjs', 'mosaic-model.wasm',
    'mosaic-bundled.mjs', 'mosaic-bundled.d.ts', 'mosaic-search.js', 'mosaic-search.d.ts', 'README.md',
    'lib/loaded_generation.mjs', 'lib/module_sources.mjs', 'element/template.js']) {
    assert.ok(fs.existsSync(path.join(installed, file)), `${file} is in the package`);
  }
  // Every module mosaic.mjs may import is there: lib/ whole, as built.
  assert.deepEqual(fs.readdirSync(path.join(installed, 'lib')).sort(), fs.readdirSync(path.join(packageDirectory, 'lib')).sort());
  const readme = fs.readFileSync(path.join(installed, 'README.md'), 'utf8');
  assert.ok(readme.includes(`# ${installedJson.name}`) && readme.includes(installedJson.version), 'the README names the package and its version');
  // Both wasm files are real modules.
  for (const file of ['mosaic-core.wasm', 'mosaic-model.wasm']) {
    assert.ok(WebAssembly.validate(fs.readFileSync(path.join(installed, file))), `${file} validates`);
  }
});

test('tsc --strict accepts a consumer program that uses the installed package, and refuses a wrong use', () => {
  const tsc = path.join(testPackages, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const file of ['package_consumer.ts', 'misuse.ts', 'tsconfig.json']) fs.copyFileSync(path.join(consumerDirectory, file), path.join(scratch, file));
  run(process.execPath, [tsc, '--project', path.join(scratch, 'tsconfig.json'), '--pretty', 'false']);
  // As a bundled site's code sees it too (TypeScript's bundler resolution, as with esbuild or Vite).
  fs.writeFileSync(path.join(scratch, 'tsconfig.bundler.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } }));
  run(process.execPath, [tsc, '--project', path.join(scratch, 'tsconfig.bundler.json'), '--pretty', 'false']);
  fs.writeFileSync(path.join(scratch, 'tsconfig.misuse.json'), JSON.stringify({ extends: './tsconfig.json', files: ['misuse.ts'] }));
  const refused = spawnSync(process.execPath, [tsc, '--project', path.join(scratch, 'tsconfig.misuse.json'), '--pretty', 'false'], { encoding: 'utf8' });
  assert.notEqual(refused.status, 0, 'tsc accepted a number as query text');
  assert.match(refused.stdout, /misuse\.ts\(6,\d+\): error TS2345: Argument of type '\{ text: number; \}' is not assignable to parameter of type 'Query'/);
});

test('Node: the installed package opens a site folder and answers a text query as native mosaic query does', () => {
  const script = path.join(scratch, 'search.mjs');
  fs.writeFileSync(script, `
    import { Mosaic, memoryStore } from 'mosaic-search';
    const [siteUrl, modelUrl, text] = process.argv.slice(2);
    const db = await Mosaic.open(siteUrl, { storage: memoryStore(), modelBaseUrl: modelUrl });
    await db.ready;
    const { results } = await db.search({ text }, { k: 3, mode: 'vector' });
    console.log(JSON.stringify(results.map(({ id, score, item }) => ({ id, score, title: item.title }))));
    db.close();
  `);
  const answer = JSON.parse(run(process.execPath, [script, pathToFileURL(site + '/').href, pathToFileURL(modelDirectory + '/').href, query], { cwd: scratch }));
  const native = nativeTop();
  assert.deepEqual(answer.map((result) => result.id), native.map((result) => result.id));
  answer.forEach((result, rank) => assert.ok(Math.abs(result.score - native[rank].score) < 1e-5, `score ${result.score} against ${native[rank].score}`));
  assert.match(answer[0].title, /cheetah/i);
});

test('a page bundled by esbuild from the installed package: the wasm files it wrote load, the model only when needed, and a search answers', async () => {
  const pageSource = path.join(scratch, 'page.js');
  fs.writeFileSync(pageSource, `
    import { Mosaic } from 'mosaic-search/bundled';
    import 'mosaic-search/element';
    globalThis.openIndex = async () => {
      globalThis.db = await Mosaic.open(new URL('index/', location.href), { modelBaseUrl: new URL('model/', location.href).href, storage: null });
      await globalThis.db.ready;
      return globalThis.db.stats.items;
    };
    globalThis.searchFor = async (text) => {
      const { results } = await globalThis.db.search({ text }, { k: 3, mode: 'vector' });
      return results.map(({ id, score }) => ({ id, score }));
    };
  `);
  const dist = path.join(scratch, 'dist');
  const esbuild = path.join(testPackages, 'node_modules', '.bin', 'esbuild');
  run(esbuild, [pageSource, '--bundle', '--format=esm', '--splitting', `--outdir=${dist}`, '--loader:.wasm=file', '--log-level=warning'], { cwd: scratch });
  const written = fs.readdirSync(dist);
  const wasmFiles = written.filter((file) => file.endsWith('.wasm'));
  assert.equal(wasmFiles.length, 2, `esbuild wrote ${written.join(', ')}`);
  fs.writeFileSync(path.join(dist, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bundled</title>
    <script type="module" src="page.js"></script></head><body><mosaic-search index="index/" model-base="model/"></mosaic-search></body></html>`);
  fs.mkdirSync(path.join(dist, 'model'));
  for (const file of fs.readdirSync(modelDirectory)) fs.copyFileSync(path.join(modelDirectory, file), path.join(dist, 'model', file));
  const server = await startAppServer({ nativeCli, site, siteAppDirectory: dist, modelDirectory, root });
  const browser = await launchBrowser(playwright, path.join(root, 'profile-bundled'));
  try {
    const page = browser.pages()[0] ?? await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const requested = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.waitForFunction(() => typeof globalThis.openIndex === 'function');
    assert.equal(await page.evaluate(() => globalThis.openIndex()), Object.keys(sampleFiles).length);
    const wasmRequests = () => requested.filter((file) => file.endsWith('.wasm'));
    // The search module is the file esbuild wrote (its name carries esbuild's hash), not a copy
    // beside the package's sources; the model's is not fetched before a query needs it.
    const [coreWasm] = wasmFiles.filter((file) => file.startsWith('mosaic-core'));
    const [modelWasm] = wasmFiles.filter((file) => file.startsWith('mosaic-model'));
    assert.deepEqual(wasmRequests(), [`/${coreWasm}`]);
    assert.ok(!requested.some((file) => /mosaic-(core|model)\.mjs$/.test(file)), `the emscripten modules come from the bundle: ${requested.join(' ')}`);
    const answer = await page.evaluate((text) => globalThis.searchFor(text), query);
    assert.ok(wasmRequests().includes(`/${modelWasm}`), 'the model module loaded for the text query');
    const native = nativeTop();
    assert.deepEqual(answer.map((result) => result.id), native.map((result) => result.id));
    // The element from the same bundle opens the index too.
    await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
    await page.screenshot({ path: path.join(screenshotDirectory, 'npm-bundled-page.png') });
    assert.deepEqual(pageErrors, [], 'the page threw');
  } finally {
    await browser.close();
    await server.stop();
  }
});
