// Queries by sound, by recording and by image in headless Chromium, over an index built with a Gemini
// model: `mosaic index --provider gemini` against the Gemini API test double builds it here, and
// `mosaic serve --site --web` proxies the page's POST /api/embed to the same double. The double embeds
// text with the local model, a PNG by its tEXt Description and a WAV by its LIST/INFO ICMT comment, so
// a captioned query finds the item whose caption means the same; other media (a recording) get a
// vector seeded by their bytes. Checked: an uploaded WAV and a dropped PNG go to the proxy as they are
// and the expected item comes first; a recording from Chromium's fake microphone is decoded and sent
// as 16 kHz mono WAV, and results are shown; a recording stops by itself at the 80 s limit (a fake
// clock). Every test saves a screenshot in MOSAIC_SCREENSHOT_DIR.
// Run by ctest in build-wasm; environment: see browser.mjs (this file also needs MOSAIC_GEMINI_DOUBLE).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makePng, makeWav, readWavHeader } from '../support/media_fixtures.mjs';
import {
  browserTestEnvironment, dropFile, fakeMicrophoneArguments, openApp as openAppAt, pageRunner, readSiteItems, resultCards,
  sampleFiles, startGeminiSite, waitForAnswer, watchEmbedCalls, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright, geminiDouble } =
  browserTestEnvironment({ geminiDouble: true });

// A key shaped like Google's, new in every run.
const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;
const files = {
  ...sampleFiles,
  'pictures/fox.png': makePng({ description: 'a red fox trotting across a snowy field', width: 48, height: 32, gray: 200 }),
  'pictures/lighthouse.png': makePng({ description: 'a lighthouse on a rocky coast at night', width: 48, height: 32, gray: 40 }),
  'sounds/bell.wav': makeWav({ comment: 'a church bell ringing', seed: 2 }),
  'sounds/rain.wav': makeWav({ comment: 'heavy rain falling on a tin roof', seed: 5 }),
};

let root, site, double, server, items, withPage;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-media-queries-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, files);
  ({ double, server } = await startGeminiSite({
    nativeCli, geminiDouble, siteAppDirectory, modelDirectory, root, collection, apiKey, indexArguments: ['--shard-items', '4'],
  }));
  items = readSiteItems(site);
  assert.equal(items.length, Object.keys(files).length);
  withPage = pageRunner({ playwright, root, screenshotDirectory });
});

after(async () => {
  await server?.stop();
  await double?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const openApp = (page) => openAppAt(page, `http://127.0.0.1:${server.port}/`);
const idOf = (source) => items.find((item) => item.source === source).id;
const upstreamCalls = async () => (await (await fetch(`http://127.0.0.1:${double.port}/_double/stats`)).json()).calls;

// The one part of the one embedding call the page made, with the proxy's answer status.
async function onlyEmbeddedPart(calls) {
  assert.equal(calls.length, 1, 'one embedding call serves the search and the label vote');
  const response = await calls[0].request.response();
  assert.equal(response.status(), 200, await response.text());
  const { inputs, task } = calls[0].body;
  assert.equal(task, 'query');
  assert.equal(inputs.length, 1);
  assert.equal(inputs[0].parts.length, 1);
  const [part] = inputs[0].parts;
  return { mimeType: part.mime_type, bytes: Buffer.from(part.data, 'base64') };
}

test('an uploaded WAV goes to the proxy as it is, and the recording its caption describes comes first', async () => {
  await withPage('audio-upload', async (page) => {
    const calls = watchEmbedCalls(page);
    await openApp(page);
    assert.equal(await page.isHidden('#audio-note'), true, 'no "not supported" note on a Gemini index');
    assert.equal(await page.isEnabled('#record-button'), true);
    const upstreamBefore = await upstreamCalls();
    const query = makeWav({ comment: 'bells ringing in a church tower', seed: 9 });
    await page.setInputFiles('#audio-input', { name: 'bells.wav', mimeType: 'audio/wav', buffer: query });
    await waitForAnswer(page, 'Audio: bells.wav');
    const part = await onlyEmbeddedPart(calls);
    assert.equal(part.mimeType, 'audio/wav');
    assert.deepEqual(part.bytes, query);
    assert.ok(await upstreamCalls() > upstreamBefore, 'the proxy asked the upstream API');
    const results = await resultCards(page);
    assert.equal(results.length, items.length);
    assert.equal(results[0].id, idOf('sounds/bell.wav'));
    assert.equal(results[0].label, 'sounds');
  });
});

test('an uploaded WAV over 80 s is searched by its first 80 s, cut in wasm, and the page says so', async () => {
  await withPage('audio-upload-long', async (page) => {
    const calls = watchEmbedCalls(page);
    await openApp(page);
    // 100 s: the proxy refuses audio over 80 s, so without the cut this search fails.
    const query = makeWav({ comment: 'bells ringing in a church tower', seed: 9, seconds: 100 });
    await page.setInputFiles('#audio-input', { name: 'long-bells.wav', mimeType: 'audio/wav', buffer: query });
    await waitForAnswer(page, 'Audio: long-bells.wav');
    assert.match(await page.textContent('#query-summary'), /its first 80 s of 1:40/);
    const part = await onlyEmbeddedPart(calls);
    assert.equal(part.mimeType, 'audio/wav');
    const dataAt = part.bytes.indexOf('data', 12, 'latin1');
    assert.equal(part.bytes.readUInt32LE(dataAt + 4), 80 * 8000 * 2, 'exactly 80 s of the 8 kHz 16-bit samples');
    const results = await resultCards(page);
    assert.equal(results[0].id, idOf('sounds/bell.wav'), 'the caption travels with the cut');
  });
});

test('a recording from the microphone is decoded, sent to the proxy as 16 kHz mono WAV, and its results are shown', async () => {
  await withPage('audio-recording', async (page) => {
    const calls = watchEmbedCalls(page);
    await openApp(page);
    const upstreamBefore = await upstreamCalls();
    await page.click('#record-button');
    // At least a second of Chromium's fake microphone.
    await page.waitForFunction(() => /^Recording… [1-9]/.test(document.querySelector('mosaic-search').shadowRoot.querySelector('#audio-note').textContent), null, { timeout: 20000 });
    assert.equal(await page.getAttribute('#record-button', 'aria-pressed'), 'true');
    assert.equal(await page.textContent('#record-button'), 'Stop');
    await page.screenshot({ path: path.join(screenshotDirectory, 'audio-recording-live.png') });
    await page.click('#record-button');
    await waitForAnswer(page, 'Recording (');
    assert.match(await page.textContent('#query-summary'), /^Recording \(\d+\.\d s\)/);
    assert.match(await page.textContent('#audio-note'), /^Recorded \d+\.\d s\.$/);
    assert.equal(await page.getAttribute('#record-button', 'aria-pressed'), 'false');
    const part = await onlyEmbeddedPart(calls);
    assert.equal(part.mimeType, 'audio/wav');
    const { riffSize, dataSize, samples, ...header } = readWavHeader(part.bytes);
    assert.deepEqual(header, { riff: 'RIFF', wave: 'WAVE', fmt: 'fmt ', formatTag: 1, channels: 1, sampleRate: 16000, byteRate: 32000,
      blockAlign: 2, bitsPerSample: 16, data: 'data' });
    assert.equal(riffSize, part.bytes.length - 8);
    assert.equal(dataSize, part.bytes.length - 44);
    assert.equal(samples.length, dataSize / 2);
    const seconds = dataSize / 32000;
    assert.ok(seconds >= 0.9 && seconds < 30, `the recording lasts ${seconds} s`);
    assert.ok(await upstreamCalls() > upstreamBefore, 'the proxy asked the upstream API');
    assert.equal((await resultCards(page)).length, items.length);
  }, { args: fakeMicrophoneArguments });
});

test('a recording stops by itself at the 80 s limit and is searched', async () => {
  await withPage('audio-recording-limit', async (page) => {
    // A fake clock: the app's 80 s timer fires when the test moves time on, not after 80 real seconds.
    await page.clock.install();
    const calls = watchEmbedCalls(page);
    await openApp(page);
    await page.click('#record-button');
    await page.waitForSelector('#audio-note:has-text("Recording…")');
    await page.waitForTimeout(1000);  // some real audio
    await page.clock.fastForward('01:10');  // about 71 s in
    assert.equal(await page.getAttribute('#record-button', 'aria-pressed'), 'true', 'still recording before the limit');
    await page.clock.fastForward('00:15');
    await page.waitForSelector('#audio-note:has-text("Recording stopped at the 80 s limit.")', { timeout: 20000 });
    await page.waitForSelector('mosaic-search[data-state="ready"] #query-summary:has-text("Recording (")', { timeout: 60000 });
    assert.equal(await page.getAttribute('#record-button', 'aria-pressed'), 'false');
    assert.equal((await onlyEmbeddedPart(calls)).mimeType, 'audio/wav');
    assert.equal((await resultCards(page)).length, items.length);
  }, { args: fakeMicrophoneArguments });
});

test('an image dropped on the page goes to the proxy once, as the PNG it is, and the picture its caption describes comes first', async () => {
  await withPage('image-drop', async (page) => {
    const calls = watchEmbedCalls(page);
    await openApp(page);
    const upstreamBefore = await upstreamCalls();
    const png = makePng({ description: 'a fox walking through snow', width: 40, height: 30, gray: 120 });
    await dropFile(page, { name: 'fox-query.png', type: 'image/png', bytes: png });
    await waitForAnswer(page, 'Image: fox-query.png');
    const part = await onlyEmbeddedPart(calls);
    assert.equal(part.mimeType, 'image/png');
    assert.deepEqual(part.bytes, png);
    assert.ok(await upstreamCalls() > upstreamBefore, 'the proxy asked the upstream API');
    const results = await resultCards(page);
    assert.equal(results.length, items.length);
    assert.equal(results[0].id, idOf('pictures/fox.png'));
    assert.equal(await page.isVisible('#label-panel'), true);
  });
});
