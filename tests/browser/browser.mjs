// What the browser tests share: their environment (set by ctest in build-wasm), headless Chromium
// (Debian's chromium package driven by playwright-core, which downloads no browser, with the flags
// ../shared/docs/toolchain.md lists), the sample collection, the native CLI, a page per test with
// its screenshot, and the app's query and result helpers.
//
// Environment: MOSAIC_SITE_APP_DIR (build-wasm/site-app), MOSAIC_NATIVE_CLI (the native build's
// mosaic, which builds the indexes and serves them), MOSAIC_MODEL_DIR (the local model's files),
// MOSAIC_TEST_NODE_PREFIX (where playwright-core is installed), MOSAIC_SCREENSHOT_DIR (made when
// missing) and, for tests that need Google's API, MOSAIC_GEMINI_DOUBLE (the native test double).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';
import { runMosaic } from '../support/sample_collection.mjs';

export const chromiumPath = '/usr/bin/chromium';

const chromiumArguments = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Chromium's fake microphone (a beep), granted without asking: MediaRecorder then records for real.
export const fakeMicrophoneArguments = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

// The environment, checked: a test run outside ctest fails at once with what is missing.
export function browserTestEnvironment({ geminiDouble = false } = {}) {
  const environment = {
    siteAppDirectory: process.env.MOSAIC_SITE_APP_DIR,
    nativeCli: process.env.MOSAIC_NATIVE_CLI,
    modelDirectory: process.env.MOSAIC_MODEL_DIR,
    testPackages: process.env.MOSAIC_TEST_NODE_PREFIX,
    screenshotDirectory: process.env.MOSAIC_SCREENSHOT_DIR,
    geminiDouble: process.env.MOSAIC_GEMINI_DOUBLE,
  };
  const required = [['MOSAIC_SITE_APP_DIR', environment.siteAppDirectory], ['MOSAIC_NATIVE_CLI', environment.nativeCli],
    ['MOSAIC_MODEL_DIR', environment.modelDirectory], ['MOSAIC_TEST_NODE_PREFIX', environment.testPackages], ['chromium', chromiumPath]];
  if (geminiDouble) required.push(['MOSAIC_GEMINI_DOUBLE', environment.geminiDouble]);
  const missing = required.filter(([, value]) => !value || !fs.existsSync(value)).map(([name]) => name);
  if (!environment.screenshotDirectory) missing.push('MOSAIC_SCREENSHOT_DIR');
  assert.deepEqual(missing, [], 'run through ctest in build-wasm after make native, make test-packages and make dependencies');
  fs.mkdirSync(environment.screenshotDirectory, { recursive: true });
  environment.playwright = createRequire(path.join(environment.testPackages, 'package.json'))('playwright-core');
  return environment;
}

export { runMosaic, sampleFiles, writeFiles } from '../support/sample_collection.mjs';

// mosaic serve for the web app over a local-model site: one io thread and one worker, so the tests
// see the same ordering on any machine. `extra` adds options (a Gemini base URL, say).
export function startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root, extra = [], env }) {
  return startProcess(nativeCli, ['serve', '--port', '0', '--site', site, '--web', siteAppDirectory, '--model-dir', modelDirectory,
    '--cache-dir', path.join(root, 'embedding-cache'), '--threads', '1', '--workers', '1', ...extra],
  { env, ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
}

// A site indexed with the gemini provider through the test double (`geminiDouble`, which embeds by
// meaning with the local model), then served by mosaic serve in front of the same double: the set-up
// of the tests of what Google's model would see. 512 dimensions keep the local model's similarities.
// Answers { double, server, site, upstream }; the caller stops server and double.
export async function startGeminiSite({ nativeCli, geminiDouble, siteAppDirectory, modelDirectory, root, collection, apiKey,
  indexArguments = [] }) {
  const double = await startProcess(geminiDouble, ['--port', '0', '--api-key', apiKey, '--model-dir', modelDirectory],
    { ready: /listening on 127\.0\.0\.1:(\d+)/ });
  const upstream = `http://127.0.0.1:${double.port}/v1beta`;
  const env = { ...process.env, GEMINI_API_KEY: apiKey };
  const site = path.join(root, 'site');
  try {
    runMosaic(nativeCli, ['index', collection, '--out', site, '--provider', 'gemini', '--gemini-base-url', upstream, '--dims', '512',
      '--cache-dir', path.join(root, 'index-cache'), ...indexArguments], { env });
    const server = await startProcess(nativeCli, ['serve', '--port', '0', '--site', site, '--web', siteAppDirectory,
      '--gemini-base-url', upstream, '--cache-dir', path.join(root, 'serve-cache'), '--rate-limit', '0', '--threads', '1',
      '--workers', '1'], { env, ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
    return { double, server, site, upstream };
  } catch (error) {
    await double.stop();
    throw error;
  }
}

// Every item of a site's current generation, from its item metadata files.
export function readSiteItems(site) {
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  return manifest.shards.flatMap((shard) => JSON.parse(fs.readFileSync(path.join(site, shard.metadata.file), 'utf8')).items);
}

export async function launchBrowser(playwright, profileDirectory, { viewport, args = [] } = {}) {
  fs.mkdirSync(profileDirectory, { recursive: true });
  return playwright.chromium.launchPersistentContext(profileDirectory, {
    executablePath: chromiumPath,
    headless: true,
    args: [...chromiumArguments, ...args],
    viewport,
  });
}

// withPage(name, body, options): a fresh browser profile per test (nothing an earlier test stored,
// shards or HTTP cache, is seen), NAME.png saved after the body (NAME-failed.png when it failed), and
// no uncaught page error allowed.
export function pageRunner({ playwright, root, screenshotDirectory }) {
  return async function withPage(name, body, { viewport = { width: 1100, height: 800 }, args = [] } = {}) {
    const browser = await launchBrowser(playwright, path.join(root, `profile-${name}`), { viewport, args });
    const page = browser.pages()[0] ?? await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await body(page);
      await page.screenshot({ path: path.join(screenshotDirectory, `${name}.png`), fullPage: true });
      assert.deepEqual(pageErrors, [], 'the page threw');
    } catch (error) {
      await page.screenshot({ path: path.join(screenshotDirectory, `${name}-failed.png`), fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await browser.close();
    }
  };
}

// The focused element's class, through the element's shadow root.
export const focusedClass = (page) => page.evaluate(() => {
  let focused = document.activeElement;
  while (focused?.shadowRoot?.activeElement) focused = focused.shadowRoot.activeElement;
  return focused?.className ?? '';
});

export async function openApp(page, url) {
  await page.goto(url);
  await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
}

// Waits until the summary line names the query (`summary`) and the app is idle again; an error
// message shown instead fails at once, with its text.
export async function waitForAnswer(page, summary, { timeout = 60000 } = {}) {
  await page.waitForFunction((expected) => !document.querySelector('mosaic-search').shadowRoot.querySelector('#message').hidden
    || (document.querySelector('mosaic-search').shadowRoot.querySelector('#query-summary')?.textContent.includes(expected) && document.querySelector('mosaic-search').dataset.state === 'ready'),
  summary, { timeout });
  if (await page.isVisible('#message')) assert.fail(`the page says: ${await page.textContent('#message')}`);
}

export async function searchFor(page, text) {
  await page.fill('#query', text);
  await page.press('#query', 'Enter');
  // The summary names the query once its answer is shown (the first text query also loads the model).
  await waitForAnswer(page, text);
}

// Every result card the element rendered, close matches first, then the weaker ones (in the DOM
// even while folded away behind "show weaker matches"; `close` says which list a card is in).
export const resultCards = (page) => page.$$eval('#results .result, #weaker-results .result', (cards) => cards.map((card) => ({
  id: card.dataset.itemId,
  label: card.dataset.label,
  close: card.dataset.close === 'true',
  weakBadge: card.querySelector('.weak-match')?.textContent ?? '',
  title: card.querySelector('.result-title').textContent,
  score: Number(card.querySelector('.score').textContent),
})));

// What the first result card of a modality shows (in the close matches; with `includeWeaker`, in
// the weaker ones too when no close match has it). Its picture (a video's poster on the player in the
// picture's place) is fetched and decoded again here and awaited, so whether it loads is known, not
// raced against the page. `position` is the card's place in its list.
export function resultCard(page, modality, { includeWeaker = false } = {}) {
  const lists = includeWeaker ? ['#results', '#weaker-results'] : ['#results'];
  const selector = lists.map((list) => `${list} .result[data-modality="${modality}"]`).join(', ');
  return page.$eval(selector, async (card) => {
    const picture = card.querySelector('.preview img')?.src;
    const poster = card.querySelector('.preview video')?.poster;
    let pictureLoaded = false;
    if (picture || poster) {
      const probe = new Image();
      probe.src = picture ?? poster;
      pictureLoaded = await probe.decode().then(() => probe.naturalWidth > 0, () => false);
    }
    return {
      id: card.dataset.itemId,
      close: card.parentElement.id === 'results',
      position: [...card.parentElement.children].indexOf(card),
      textFrom: card.querySelector('.extracted-text')?.dataset.textFrom,
      source: card.querySelector('.text-source')?.textContent,
      marked: [...card.querySelectorAll('.extracted-text mark')].map((mark) => mark.textContent.toLowerCase()),
      plays: [...card.querySelectorAll('.play-from')].map((button) => ({
        startMs: Number(button.dataset.startMs), label: button.getAttribute('aria-label'), text: button.textContent,
      })),
      pageRange: card.querySelector('.page-range')?.textContent,
      startsAt: card.querySelector('.starts-at')?.textContent,
      picture,
      poster,
      players: card.querySelectorAll('video').length,
      pictureLoaded,
      pdfLink: card.querySelector('a.open-media')?.href,
      pdfLinkText: card.querySelector('a.open-media')?.textContent,
    };
  });
}

// POST /api/embed bodies the page sent, as they left it, and the status of each answer.
export function watchEmbedCalls(page) {
  const calls = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname.endsWith('/api/embed')) {
      calls.push({ body: request.postDataJSON(), status: undefined, request });
    }
  });
  page.on('response', (response) => {
    const call = calls.find((candidate) => candidate.request === response.request());
    if (call) call.status = response.status();
  });
  return calls;
}

// Drops a file on the page as a user would (a drop event carrying it).
export async function dropFile(page, { name, type, bytes }) {
  const dataTransfer = await page.evaluateHandle(({ name: fileName, type: fileType, bytes: fileBytes }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(fileBytes)], fileName, { type: fileType }));
    return transfer;
  }, { name, type, bytes: [...bytes] });
  await page.dispatchEvent('body', 'drop', { dataTransfer });
}
