// Text read out of media, in the web app (headless Chromium at 375 px, as in web_app.test.mjs), over
// a site the native CLI indexes here with the local model from files made in the test: a recording
// spoken by espeak-ng (two sentences 2 s apart), a screenshot-like picture of text drawn by
// ImageMagick, a three-page PDF with a text layer, and a video made by ffmpeg that opens on black.
// Words said only in the recording show the heard segment with the words marked, labelled as heard,
// and its play control (mouse and keyboard) starts the player at that segment's start; the picture's
// words are marked and labelled as read from the picture; the PDF page shows its first-page picture,
// its page and opens the PDF there; the video shows its poster frame on the player.
// Run by ctest in build-wasm with the same environment as web_app.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makePdf } from '../support/pdf_fixtures.mjs';
import { makeVideo } from '../support/video_fixtures.mjs';
import {
  browserTestEnvironment, openApp, pageRunner, readSiteItems, resultCard, runMosaic, searchFor, startAppServer,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright, testPackages } = browserTestEnvironment();
const phone = { width: 375, height: 667 };

let root, site, server, items, withPage;

function run(program, args) {
  const outcome = spawnSync(program, args, { encoding: 'utf8' });
  assert.equal(outcome.status, 0, `${program} ${args.join(' ')}: ${outcome.stderr}`);
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-extracted-text-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  for (const folder of ['calls', 'tickets', 'docs', 'clips']) fs.mkdirSync(path.join(collection, folder), { recursive: true });
  // Two sentences this voice is heard saying (README, "Text from speech"), 2 s of silence between them,
  // so the segment with "second floor" starts well after the recording's start.
  const first = path.join(root, 'first.wav');
  const second = path.join(root, 'second.wav');
  run('espeak-ng', ['-v', 'en-us+f2', '-s', '160', '-w', first, 'please call me back about the invoice']);
  run('espeak-ng', ['-v', 'en-us+f2', '-s', '160', '-w', second, 'the printer on the second floor is out of paper']);
  run('ffmpeg', ['-loglevel', 'error', '-i', first, '-i', second, '-filter_complex',
    '[0:a]apad=pad_dur=2[padded];[padded][1:a]concat=n=2:v=0:a=1', path.join(collection, 'calls/call-0414.wav')]);
  fs.writeFileSync(path.join(collection, 'calls/call-0414.txt'), 'a phone call to the help desk');
  run('/usr/bin/convert', ['-size', '900x300', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '28', '-fill', '#b00020',
    '-annotate', '+40+80', 'Error 500: session expired', '-fill', '#333333', '-pointsize', '20',
    '-annotate', '+40+140', 'Please sign in again to continue.', path.join(collection, 'tickets/dialog.png')]);
  fs.writeFileSync(path.join(collection, 'docs/heating.pdf'), makePdf([
    ['Heating manual', 'Contents and safety notes'],
    ['The boiler pressure valve sits behind the left panel.', 'Turn it slowly.'],
    ['Warranty and contacts'],
  ]));
  fs.writeFileSync(path.join(collection, 'clips/garden.mp4'), makeVideo({ black: 2, seconds: 6, width: 320, height: 240 }));
  fs.writeFileSync(path.join(collection, 'clips/garden.txt'), 'a walk through the rose garden');
  runMosaic(nativeCli, ['index', collection, '--out', site, '--model-dir', modelDirectory, '--cache-dir', path.join(root, 'cache')]);
  items = readSiteItems(site);
  withPage = pageRunner({ playwright, root, screenshotDirectory });
  server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const cardOf = (page, modality) => resultCard(page, modality);

// Waits for the next `seeked` of the player under `selector` and answers its position then.
const armSeekWatch = (page, selector) => page.evaluate((playerSelector) => {
  const player = document.querySelector('mosaic-search').shadowRoot.querySelector(playerSelector);
  window.seekedAt = new Promise((resolve) => player.addEventListener('seeked', () => {
    resolve(player.currentTime);
    player.pause();
  }, { once: true }));
}, selector);

test('words said only in a recording show where they were heard, and the play control starts there', async () => {
  const recording = items.find((item) => item.source === 'calls/call-0414.wav');
  assert.equal(recording.text_from, 'speech', JSON.stringify(recording));
  // The words are said only in the recording: not in its caption, its name or any other file.
  const floorSegment = recording.transcript.find((segment) => /second floor/.test(segment.text));
  assert.ok(floorSegment, `PocketSphinx did not hear "second floor": ${JSON.stringify(recording.transcript)}`);
  assert.ok(floorSegment.start_ms >= 2000, `the segment starts after the first sentence and the pause: ${JSON.stringify(recording.transcript)}`);
  await withPage('extracted-speech', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    await searchFor(page, 'second floor');
    const card = await cardOf(page, 'audio');
    assert.equal(card.position, 0, 'the recording is the first result');
    assert.equal(card.textFrom, 'speech');
    assert.equal(card.source, 'Heard in the recording (speech recognition)');
    assert.ok(card.marked.includes('second') && card.marked.includes('floor'), JSON.stringify(card.marked));
    const clock = `${Math.floor(floorSegment.start_ms / 60000)}:${String(Math.floor(floorSegment.start_ms / 1000) % 60).padStart(2, '0')}`;
    assert.deepEqual(card.plays.map((play) => play.startMs), [floorSegment.start_ms]);
    assert.equal(card.plays[0].text, `▶ ${clock}`);
    assert.match(card.plays[0].label, new RegExp(`^Play .+ from ${clock}$`));
    // The card's player fetches nothing until asked; the control loads it and seeks to the segment.
    await armSeekWatch(page, '#results .result[data-modality="audio"] audio');
    await page.click('#results .result[data-modality="audio"] .play-from');
    const seekedAt = await page.evaluate(() => window.seekedAt);
    assert.ok(Math.abs(seekedAt - floorSegment.start_ms / 1000) < 0.5, `currentTime ${seekedAt}, segment at ${floorSegment.start_ms} ms`);

    // The detail view: the same segment, marked, its control reached and pressed by keyboard.
    await page.click('#results .result[data-modality="audio"] .result-open');
    await page.waitForSelector('#detail[open] .play-from');
    const detail = await page.$eval('#detail', (dialog) => ({
      source: dialog.querySelector('.text-source')?.textContent,
      marked: [...dialog.querySelectorAll('.extracted-text mark')].map((mark) => mark.textContent.toLowerCase()),
      transcriptParts: dialog.querySelector('.whole-transcript summary')?.textContent,
    }));
    assert.equal(detail.source, 'Heard in the recording (speech recognition)');
    assert.ok(detail.marked.includes('floor'), JSON.stringify(detail.marked));
    assert.equal(detail.transcriptParts, `Everything heard (${recording.transcript.length} ${recording.transcript.length === 1 ? 'part' : 'parts'})`);
    await armSeekWatch(page, '#detail .detail-media');
    await page.focus('#detail .extracted-text .play-from');
    await page.keyboard.press('Enter');
    const detailSeekedAt = await page.evaluate(() => window.seekedAt);
    assert.ok(Math.abs(detailSeekedAt - floorSegment.start_ms / 1000) < 0.5, `detail currentTime ${detailSeekedAt}`);
    // The whole transcript unfolds with a control per segment.
    await page.click('#detail .whole-transcript summary');
    // Built on the details' toggle event, which comes a task after the click.
    await page.waitForSelector('#detail .whole-transcript .play-from');
    const wholeStarts = await page.$$eval('#detail .whole-transcript .play-from', (buttons) => buttons.map((button) => Number(button.dataset.startMs)));
    assert.deepEqual(wholeStarts, recording.transcript.map((segment) => segment.start_ms));
  }, { viewport: phone });
});

test("a picture's words are marked and labelled as read from the picture", async () => {
  const dialog = items.find((item) => item.source === 'tickets/dialog.png');
  assert.equal(dialog.text_from, 'ocr', JSON.stringify(dialog));
  await withPage('extracted-ocr', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    await searchFor(page, 'session expired');
    const card = await cardOf(page, 'image');
    assert.equal(card.position, 0);
    assert.equal(card.textFrom, 'ocr');
    assert.equal(card.source, 'Read from the picture (OCR)');
    assert.deepEqual(card.marked, ['session', 'expired']);
    assert.ok(card.pictureLoaded, 'the thumbnail is shown');
    assert.deepEqual(card.plays, [], 'a picture has nothing to play');
  }, { viewport: phone });
});

test('a PDF page shows the first-page picture, its page, and opens the PDF there', async () => {
  const page2 = items.find((item) => item.source === 'docs/heating.pdf' && item.source_offset === 2);
  assert.ok(page2?.thumbnail, JSON.stringify(items.filter((item) => item.modality === 'pdf')));
  await withPage('extracted-pdf', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    await searchFor(page, 'boiler pressure');
    const card = await cardOf(page, 'pdf');
    assert.equal(card.position, 0);
    assert.equal(card.textFrom, 'pdf');
    assert.equal(card.source, 'From the PDF, page 2');
    assert.equal(card.pageRange, 'page 2');
    assert.deepEqual(card.marked, ['boiler', 'pressure']);
    assert.ok(card.picture.endsWith(`/index/${page2.thumbnail}`) || card.picture.endsWith(`/${page2.thumbnail}`), card.picture);
    assert.ok(card.pictureLoaded, 'the first-page picture is shown');
    assert.match(card.pdfLink, /\/media\/[0-9a-f]{64}\.pdf#page=2$/);
    assert.equal(card.pdfLinkText, 'Open PDF at page 2');
  }, { viewport: phone });
});

test('a video shows its poster frame on its player, in the picture\'s place', async () => {
  const video = items.find((item) => item.source === 'clips/garden.mp4');
  assert.ok(video?.thumbnail && video.media, JSON.stringify(video));
  await withPage('extracted-video', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    await searchFor(page, 'a walk through the rose garden');
    const card = await cardOf(page, 'video');
    assert.ok(card.pictureLoaded, 'the poster frame loads');
    assert.ok(card.poster.endsWith(`/${video.thumbnail}`), card.poster);
    assert.equal(card.players, 1);
    assert.equal(card.picture, undefined, 'the player, in the picture\'s place, shows the poster frame until it plays: once, not twice');
  }, { viewport: phone });
});

// What a page shows wrongly at a size or in a scheme it was not drawn at, measured in the page: the
// page scrolling sideways, a card's or the dialog's part reaching past its box (cut off by the card's
// overflow: hidden), a label or button whose text is cut, and axe-core's contrast rule (computed
// colours, marks and buttons included) over the results and the detail view.
const layoutFaults = (page, scope) => page.evaluate((scopeSelector) => {
  const root = document.querySelector('mosaic-search').shadowRoot;
  const faults = [];
  if (document.documentElement.scrollWidth > window.innerWidth) faults.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  for (const box of root.querySelectorAll(scopeSelector)) {
    const edge = box.getBoundingClientRect();
    for (const part of box.querySelectorAll('*')) {
      const shape = part.getBoundingClientRect();
      if (shape.width === 0 || part.closest('[hidden]')) continue;
      if (shape.right > edge.right + 1 || shape.left < edge.left - 1) faults.push(`${part.className || part.tagName} reaches past ${box.className}: ${Math.round(shape.left)}–${Math.round(shape.right)} in ${Math.round(edge.left)}–${Math.round(edge.right)}`);
    }
    for (const label of box.querySelectorAll('.text-source, .play-from, .page-range, .starts-at, .open-media, .detail-file, .whole-transcript summary')) {
      if (label.scrollWidth > label.clientWidth + 1) faults.push(`"${label.textContent}" is cut: ${label.scrollWidth} > ${label.clientWidth}`);
    }
  }
  return faults;
}, scope);

// axe-core's colour contrast rule over the element's parts under `include` (selectors in its shadow
// root): the text nodes it checked (so an empty answer is not a scope that matched nothing) and the
// ones below the WCAG AA ratio.
async function contrastCheck(page, include) {
  if (!(await page.evaluate(() => 'axe' in globalThis))) {
    await page.addScriptTag({ path: path.join(testPackages, 'node_modules', 'axe-core', 'axe.min.js') });
  }
  return page.evaluate(async (selectors) => {
    const outcome = await globalThis.axe.run({ include: selectors.map((selector) => ({ fromShadowDom: ['mosaic-search', selector] })) },
      { runOnly: ['color-contrast'] });
    const nodes = (kind) => outcome[kind].flatMap((rule) => rule.nodes);
    return {
      checked: nodes('passes').length + nodes('violations').length,
      violations: nodes('violations').map((node) => `${node.target.flat().join(' ')}: ${node.any.map((check) => check.message).join('; ')}`),
    };
  }, include);
}

for (const { width, height, colorScheme } of [{ width: 1280, height: 800, colorScheme: 'light' }, { width: 1280, height: 800, colorScheme: 'dark' }, { width: 375, height: 667, colorScheme: 'dark' }]) {
  test(`the media parts fit and read clearly at ${width} px, ${colorScheme}`, async () => {
    const recording = items.find((item) => item.source === 'calls/call-0414.wav');
    const name = `extracted-${width}-${colorScheme}`;
    await withPage(name, async (page) => {
      await page.emulateMedia({ colorScheme });
      await openApp(page, `http://127.0.0.1:${server.port}/`);
      // One query with words from the recording, the picture, the PDF and the video's caption: every
      // kind of text read out of media on one page (the keyword half of hybrid search finds each).
      await searchFor(page, 'second floor session expired boiler pressure rose garden');
      if (await page.isVisible('#sheet-toggle')) await page.click('#sheet-toggle');
      if (await page.isVisible('#show-weaker')) await page.click('#show-weaker');
      const shown = await page.$$eval('#results .result, #weaker-results .result', (cards) => cards.map((card) => ({
        modality: card.dataset.modality, textFrom: card.querySelector('.extracted-text')?.dataset.textFrom,
        plays: card.querySelectorAll('.play-from').length, pages: card.querySelector('.page-range')?.textContent,
      })));
      const textFroms = shown.map((card) => card.textFrom).filter(Boolean).sort();
      assert.deepEqual([...new Set(textFroms)], ['ocr', 'pdf', 'speech'], JSON.stringify(shown));
      assert.ok(shown.some((card) => card.modality === 'audio' && card.plays > 0), JSON.stringify(shown));
      assert.ok(shown.some((card) => card.modality === 'video'), JSON.stringify(shown));
      // Every card's thumbnail in (the PDF's page, the video's poster, the screenshot).
      await page.waitForFunction(() => [...document.querySelector('mosaic-search').shadowRoot.querySelectorAll('.result .preview img')]
        .every((image) => image.complete && image.naturalWidth > 0));
      assert.deepEqual(await layoutFaults(page, '.result'), []);
      const resultsContrast = await contrastCheck(page, ['.results-area']);
      assert.ok(resultsContrast.checked >= 20, `axe checked ${resultsContrast.checked} text nodes`);
      assert.deepEqual(resultsContrast.violations, []);
      await page.screenshot({ path: path.join(screenshotDirectory, `${name}-results.png`), fullPage: true });
      // The recording's detail view: the heard segment, its play control, the whole transcript unfolded.
      await page.click('.result[data-modality="audio"] .result-open');
      await page.waitForSelector('#detail[open] .play-from');
      await page.click('#detail .whole-transcript summary');
      await page.waitForSelector('#detail .whole-transcript .play-from');
      assert.equal(await page.$$eval('#detail .whole-transcript .play-from', (buttons) => buttons.length), recording.transcript.length);
      assert.deepEqual(await layoutFaults(page, '#detail'), []);
      const detailContrast = await contrastCheck(page, ['#detail']);
      assert.ok(detailContrast.checked >= 10, `axe checked ${detailContrast.checked} text nodes`);
      assert.deepEqual(detailContrast.violations, []);
    }, { viewport: { width, height } });
  });
}
