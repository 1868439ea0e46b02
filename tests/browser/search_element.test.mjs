// The <mosaic-search> element in headless Chromium, against `mosaic serve --web site-app/` with a small
// text index the native CLI builds here with the local model (the web app is the element on a page),
// and in a plain HTML page served by `python3 -m http.server`. Checked: at 375 px the first result is
// on screen after a search and the filters are a collapsible sheet; a nonsense query shows the
// no-close-match state and an unknown label; the detail view opens and closes by keyboard and gives
// focus back; the address holds the query and filters (reload restores, Back returns); the filter
// counts follow the query (clear all, removable active filters); the local model's download is shown
// with its bytes on a throttled network; axe-core finds no serious or critical violation at 1280 and
// 375 px in light and dark. Every test saves a screenshot in MOSAIC_SCREENSHOT_DIR.
// Run by ctest in build-wasm (it needs the assembled app); environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';
import {
  browserTestEnvironment, focusedClass, openApp as openAppAt, pageRunner, resultCards, runMosaic, sampleFiles as files, searchFor,
  startAppServer, waitForAnswer, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright, testPackages } = browserTestEnvironment();

let root, site, server, withPage;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-search-element-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, files);
  runMosaic(nativeCli, ['index', collection, '--out', site, '--model-dir', modelDirectory]);
  withPage = pageRunner({ playwright, root, screenshotDirectory });
  server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const appUrl = (search = '') => `http://127.0.0.1:${server.port}/${search}`;
const openApp = (page, search) => openAppAt(page, appUrl(search));
const phone = { width: 375, height: 667 };

// Label chip counts, by label.
const labelCounts = (page) => page.$$eval('#label-chips .chip', (chips) => Object.fromEntries(chips.map((chip) => [chip.dataset.value, Number(chip.dataset.count)])));

test('at 375 px the first result is on screen after a search, and the filters are a sheet that opens', async () => {
  await withPage('element-phone', async (page) => {
    await openApp(page);
    await searchFor(page, 'tomato soup with basil');
    const placement = await page.$eval('#results .result', (card) => {
      const title = card.querySelector('.result-title').getBoundingClientRect();
      return { top: card.getBoundingClientRect().top, titleBottom: title.bottom, scrolled: window.scrollY, height: window.innerHeight };
    });
    assert.equal(placement.scrolled, 0);
    assert.ok(placement.top >= 0 && placement.titleBottom <= placement.height,
      `the first result's title is in the viewport (card top ${placement.top}, title bottom ${placement.titleBottom} of ${placement.height})`);
    assert.match((await resultCards(page))[0].title, /soup/i);
    // Results come first: the filters wait in a closed sheet behind a button.
    assert.equal(await page.isVisible('#sheet-toggle'), true);
    assert.equal(await page.getAttribute('#sheet-toggle', 'aria-expanded'), 'false');
    assert.equal(await page.isVisible('#label-chips'), false);
    await page.click('#sheet-toggle');
    assert.equal(await page.getAttribute('#sheet-toggle', 'aria-expanded'), 'true');
    assert.equal(await page.isVisible('#label-chips .chip[data-value="food"]'), true);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `the page is ${width} px wide`);
  }, { viewport: phone });
});

test('the skip link takes the keyboard to the results', async () => {
  await withPage('element-skip-link', async (page) => {
    // Opened on a query's address: the results are there and nothing has focus yet.
    await openApp(page, '?q=bake%20bread');
    await waitForAnswer(page, 'bake bread');
    await page.keyboard.press('Tab');
    assert.equal(await focusedClass(page), 'skip-link');
    assert.equal(await page.isVisible('#skip-link'), true);
    await page.keyboard.press('Enter');
    assert.equal(await focusedClass(page), 'query-summary');
    await page.keyboard.press('Tab');
    assert.ok((await focusedClass(page)).includes('sheet-toggle') || (await focusedClass(page)).includes('result-open'));
  }, { viewport: phone });
});

test('a nonsense query shows the no-close-match state and an unknown label; weaker matches unfold on request', async () => {
  await withPage('element-no-match', async (page) => {
    await openApp(page);
    await searchFor(page, 'qwzx vbnm');
    assert.equal(await page.isVisible('#no-match'), true);
    assert.match(await page.textContent('#no-match'), /No close match.*“qwzx vbnm”/s);
    assert.equal(await page.getAttribute('mosaic-search', 'data-match'), 'weak');
    assert.equal(await page.textContent('#voted-label'), 'unknown');
    const cards = await resultCards(page);
    assert.ok(cards.length > 0 && cards.every((card) => !card.close), 'every result is a weaker match');
    assert.ok(cards.every((card) => card.weakBadge === 'weak match'), 'each weaker card says so in words');
    assert.equal(await page.isVisible('#weaker-results'), false, 'folded away');
    await page.click('#show-weaker');
    assert.equal(await page.isVisible('#weaker-results .result'), true);
    assert.equal(await page.getAttribute('#show-weaker', 'aria-expanded'), 'true');
    await page.screenshot({ path: path.join(screenshotDirectory, 'element-no-match-unfolded.png'), fullPage: true });
    // A real query has a close match, first, and no such state.
    await searchFor(page, 'which animal runs fastest');
    assert.equal(await page.isVisible('#no-match'), false);
    const [first] = await resultCards(page);
    assert.equal(first.close, true);
    assert.match(first.title, /cheetah/);
    assert.equal(await page.textContent('#voted-label'), 'animals');
    // The element places each card by the core's decision (result.close of the JavaScript API), not
    // by a cut-off of its own: the same query asked of the API gives the same split.
    const decided = await page.evaluate(async () => {
      const answer = await document.querySelector('mosaic-search').db.search({ text: 'which animal runs fastest' }, { k: 100 });
      return Object.fromEntries(answer.results.map((result) => [result.id, result.close]));
    });
    const shown = await resultCards(page);
    assert.ok(shown.some((card) => card.close) && shown.some((card) => !card.close), 'both kinds are shown');
    for (const card of shown) {
      assert.equal(card.close, decided[card.id], `card ${card.id} (${card.title})`);
      assert.equal(card.weakBadge, card.close ? '' : 'weak match');
    }
  }, { viewport: { width: 1280, height: 800 } });
});

test('a query over the model\'s window shows a notice of the words used; a short one does not', async () => {
  await withPage('element-truncated-query', async (page) => {
    await openApp(page);
    // 150 words of one token each ("cat" is one token of the model's vocabulary): it reads the first 128.
    const words = Array.from({ length: 150 }, () => 'cat').join(' ');
    await searchFor(page, words);
    assert.equal(await page.isVisible('#truncation-notice'), true);
    assert.match(await page.textContent('#truncation-notice'), /Only the first 128 words of 150 were used/);
    await page.screenshot({ path: path.join(screenshotDirectory, 'element-truncated-query.png') });
    await searchFor(page, 'tomato soup');
    assert.equal(await page.isVisible('#truncation-notice'), false);
  }, { viewport: { width: 1280, height: 800 } });
});

test('before any query a start page shows example queries and the collection by label', async () => {
  await withPage('element-start-page', async (page) => {
    await openApp(page);
    await page.waitForSelector('#start-page .browse-tile');
    assert.equal(await page.isVisible('#start-page'), true);
    // The examples are the collection's labels, most items first; the grid has a section per label.
    const items = await page.evaluate(() => document.querySelector('mosaic-search').db.items());
    const counts = {};
    for (const item of items) if (item.label) counts[item.label] = (counts[item.label] ?? 0) + 1;
    const byCount = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([label]) => label);
    const examples = await page.$$eval('#start-page .example', (buttons) => buttons.map((button) => button.textContent));
    assert.deepEqual(examples, byCount.slice(0, examples.length));
    assert.ok(examples.length >= 2, `${examples.length} examples`);
    const sections = await page.$$eval('#start-page .browse-section', (found) => found.map((section) => ({
      label: section.dataset.label,
      tiles: [...section.querySelectorAll('.browse-tile')].map((tile) => tile.dataset.itemId),
    })));
    assert.deepEqual(sections.map((section) => section.label), byCount.slice(0, sections.length));
    for (const section of sections) {
      const expected = items.filter((item) => item.label === section.label).slice(0, 4).map((item) => item.id);
      assert.deepEqual(section.tiles, expected, `the first items of ${section.label}`);
    }
    await page.screenshot({ path: path.join(screenshotDirectory, 'element-start-page.png'), fullPage: true });
    // A tile opens the item's detail view, with no score (it answers no query); Escape gives focus back.
    await page.focus('#start-page .browse-tile .browse-open');
    await page.keyboard.press('Enter');
    assert.equal(await page.isVisible('#detail'), true);
    assert.equal(await page.textContent('#detail-title'), items.find((item) => item.id === sections[0].tiles[0]).title);
    assert.doesNotMatch(await page.textContent('#detail-body'), /Score/);
    await page.keyboard.press('Escape');
    assert.equal(await focusedClass(page), 'browse-open');
    // An example runs an ordinary search; the start page gives way to the results, and Back brings it back.
    await page.click(`#start-page .example >> text=${examples[0]}`);
    await waitForAnswer(page, examples[0]);
    assert.equal(await page.isVisible('#start-page'), false);
    assert.equal(await page.inputValue('#query'), examples[0]);
    assert.ok((await resultCards(page)).length > 0);
    await page.goBack();
    await page.waitForSelector('#start-page:not([hidden])');
    assert.equal(await page.isVisible('#results .result'), false);
  }, { viewport: { width: 1280, height: 800 } });
});

test('the detail view opens and closes by keyboard, gives focus back, and "more like this" there keeps focus on the results', async () => {
  await withPage('element-detail', async (page) => {
    await openApp(page);
    await searchFor(page, 'which animal runs fastest');
    await page.focus('#results .result:first-child .result-open');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail[open]');
    assert.match(await page.textContent('#detail-title'), /cheetah/);
    assert.match(await page.textContent('#detail-body'), /fastest land animal/);
    assert.match(await page.textContent('#detail-body .detail-meta'), /Label\s*animals/);
    assert.equal(await focusedClass(page), 'secondary', 'focus is in the dialog (its Close button)');
    await page.screenshot({ path: path.join(screenshotDirectory, 'element-detail-open.png') });
    await page.keyboard.press('Escape');
    await page.waitForSelector('#detail:not([open])', { state: 'attached' });
    assert.equal(await focusedClass(page), 'result-open', 'focus is back on the result that opened it');
    // Again, then "More like this" inside the dialog.
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail[open]');
    await page.click('#detail .detail-similar');
    await waitForAnswer(page, 'More like');
    assert.equal(await focusedClass(page), 'query-summary', 'focus moves to the new results, not lost');
    assert.equal(await page.isVisible('#detail'), false);
  });
});

test('the address holds the query, mode and filters: a reload restores the results and Back returns', async () => {
  await withPage('element-address', async (page) => {
    await openApp(page);
    await searchFor(page, 'which animal runs fastest');
    assert.equal(new URL(page.url()).searchParams.get('q'), 'which animal runs fastest');
    await page.click('#label-chips .chip[data-value="animals"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('label') === 'animals');
    await waitForAnswer(page, 'which animal runs fastest');
    await searchFor(page, 'tomato soup with basil');
    assert.deepEqual(Object.fromEntries(new URL(page.url()).searchParams), { q: 'tomato soup with basil', label: 'animals' });
    await page.reload();
    await waitForAnswer(page, 'tomato soup with basil');
    assert.equal(await page.inputValue('#query'), 'tomato soup with basil');
    assert.equal(await page.getAttribute('#label-chips .chip[data-value="animals"]', 'aria-pressed'), 'true');
    assert.ok((await resultCards(page)).every((card) => card.label === 'animals'), 'the filter is restored with the query');
    await page.goBack();
    await waitForAnswer(page, 'which animal runs fastest');
    assert.equal(await page.inputValue('#query'), 'which animal runs fastest');
    await page.goBack();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('label') === null);
    await waitForAnswer(page, 'which animal runs fastest');
    assert.equal(await page.getAttribute('#label-chips .chip[data-value="animals"]', 'aria-pressed'), 'false');
    await page.goForward();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('label') === 'animals');
    await waitForAnswer(page, 'which animal runs fastest');
    // A shared address opens on its results, in its mode.
    await page.goto(appUrl('?q=invoice%20revenue&mode=keyword'));
    await waitForAnswer(page, 'invoice revenue');
    assert.equal(await page.inputValue('#search-mode'), 'keyword');
    assert.match((await resultCards(page))[0].title, /report/);
  });
});

test('the filter counts follow the query; clear all and the active filter chips remove filters', async () => {
  await withPage('element-filter-counts', async (page) => {
    await openApp(page);
    const collection = await labelCounts(page);
    assert.deepEqual(collection, { animals: 3, food: 2, finance: 1 });
    await searchFor(page, 'which animal runs fastest');
    const animalQuery = await labelCounts(page);
    await searchFor(page, 'tomato soup with basil');
    const soupQuery = await labelCounts(page);
    assert.notDeepEqual(animalQuery, soupQuery, 'the counts are the query\'s');
    assert.ok(animalQuery.animals > animalQuery.food, JSON.stringify(animalQuery));
    assert.ok(soupQuery.food > soupQuery.animals, JSON.stringify(soupQuery));
    await page.click('#label-chips .chip[data-value="food"]');
    await page.waitForSelector('#active-filters .active-filter[data-value="food"]');
    assert.ok((await resultCards(page)).every((card) => card.label === 'food'));
    assert.equal(await page.isEnabled('#clear-filters'), true);
    await page.click('#active-filters .active-filter[data-value="food"]');
    await page.waitForSelector('#active-filters', { state: 'hidden' });
    await page.click('#label-chips .chip[data-value="animals"]');
    await page.click('#kind-chips .chip[data-value="text"]');
    await page.waitForFunction(() => document.querySelector('mosaic-search').shadowRoot.querySelectorAll('#active-filters .active-filter').length === 2);
    await page.click('#clear-filters');
    await page.waitForSelector('#active-filters', { state: 'hidden' });
    await waitForAnswer(page, 'tomato soup with basil');
    assert.equal(await page.isDisabled('#clear-filters'), true);
    assert.deepEqual(await page.$$eval('.chip[aria-pressed="true"]', (chips) => chips.length), 0);
  });
});

test('the local model\'s download is shown with its bytes and a bar on a throttled network, then the search runs', async () => {
  await withPage('element-model-progress', async (page) => {
    await openApp(page);
    const devtools = await page.context().newCDPSession(page);
    // About 80 Mbit/s: the ~27 MB model takes a few seconds, long enough to watch.
    await devtools.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 10e6, uploadThroughput: 10e6 });
    await page.fill('#query', 'fastest animal');
    // Midway: the weight files have started (so the bar knows most of the size) and are not all in.
    // The bar is read inside the same check that finds it midway: read a moment later, the rest
    // of the model may already be in (a CI run saw exactly that).
    const midway = await page.waitForFunction(() => {
      const shadow = document.querySelector('mosaic-search').shadowRoot;
      const bar = shadow.querySelector('#model-bar');
      const loading = /Loading the text model: [\d.]+ of [\d.]+ MB/.test(shadow.querySelector('#model-label').textContent);
      const visible = shadow.querySelector('#model-progress').checkVisibility();
      return loading && visible && bar.max > 1e7 && bar.value > 0 && bar.value < bar.max && { value: bar.value, max: bar.max };
    }, null, { timeout: 30000, polling: 'raf' });
    const bar = await midway.jsonValue();
    assert.ok(bar.value > 0 && bar.value < bar.max, `part of the model is in (${bar.value} of ${bar.max} bytes)`);
    await page.screenshot({ path: path.join(screenshotDirectory, 'element-model-progress.png') });
    await waitForAnswer(page, 'fastest animal', { timeout: 120000 });
    await page.waitForSelector('mosaic-search[data-model="ready"]', { timeout: 60000 });
    assert.equal(await page.isVisible('#model-progress'), false);
    assert.match((await resultCards(page))[0].title, /cheetah/);
  });
});

// axe-core (npm, the test packages) in the page: it walks open shadow roots.
async function accessibilityViolations(page) {
  await page.addScriptTag({ path: path.join(testPackages, 'node_modules', 'axe-core', 'axe.min.js') });
  const violations = await page.evaluate(async () => (await globalThis.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(' ')).slice(0, 3) })));
  return violations;
}

for (const [width, height] of [[1280, 800], [375, 667]]) {
  for (const colorScheme of ['light', 'dark']) {
    test(`axe-core finds no serious or critical violation at ${width} px, ${colorScheme}`, async () => {
      await withPage(`element-axe-${width}-${colorScheme}`, async (page) => {
        await page.emulateMedia({ colorScheme });
        await openApp(page);
        await searchFor(page, 'which animal runs fastest');
        if (await page.isVisible('#sheet-toggle')) await page.click('#sheet-toggle');
        if (await page.isVisible('#show-weaker')) await page.click('#show-weaker');
        const violations = await accessibilityViolations(page);
        const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
        assert.deepEqual(serious, [], JSON.stringify(violations, null, 1));
        // The detail view too.
        await page.click('#results .result:first-child .result-open');
        await page.waitForSelector('#detail[open]');
        const inDialog = (await accessibilityViolations(page)).filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
        assert.deepEqual(inDialog, []);
      }, { viewport: { width, height } });
    });
  }
}

test('the element works in a plain HTML page served by python3 -m http.server, with "load more"', async () => {
  const out = path.join(root, 'plain-page');
  fs.cpSync(siteAppDirectory, path.join(out, 'mosaic'), { recursive: true });
  fs.rmSync(path.join(out, 'mosaic', 'index.html'));
  fs.cpSync(site, path.join(out, 'collection-index'), { recursive: true });
  fs.writeFileSync(path.join(out, 'index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A page of someone's site</title>
<script type="module" src="mosaic/mosaic-search.js"></script>
<style>mosaic-search { --mosaic-accent: rgb(0, 110, 60); }</style></head>
<body><main><h1>Our notes</h1><p>Search them:</p>
<mosaic-search index="collection-index/" page-size="2"></mosaic-search></main></body></html>
`);
  const http = await startProcess('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', out],
    { ready: /Serving HTTP on 127\.0\.0\.1 port (\d+)/ });
  try {
    await withPage('element-plain-page', async (page) => {
      const events = [];
      await page.exposeFunction('recordEvent', (name) => events.push(name));
      await page.addInitScript(() => {
        globalThis.resultEvents = 0;
        document.addEventListener('mosaic-results', () => { globalThis.resultEvents += 1; });
        for (const name of ['mosaic-ready', 'mosaic-results']) document.addEventListener(name, () => globalThis.recordEvent(name));
      });
      await page.goto(`http://127.0.0.1:${http.port}/`);
      await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
      // The page's custom property reaches into the shadow root.
      assert.equal(await page.$eval('#search-button', (button) => getComputedStyle(button).backgroundColor), 'rgb(0, 110, 60)');
      await page.fill('#query', 'animals that move');
      await page.press('#query', 'Enter');
      await waitForAnswer(page, 'animals that move');
      const shown = await page.$$eval('.result', (cards) => cards.length);
      assert.equal(shown, 2, 'page-size="2"');
      assert.equal(await page.isVisible('#load-more'), true);
      await page.click('#load-more');
      await page.waitForFunction(() => document.querySelector('mosaic-search').shadowRoot.querySelectorAll('.result').length === 4);
      // Focus goes to the first new result, or to "show weaker matches" when the new ones are folded away there.
      const focused = await focusedClass(page);
      const newOnesFolded = await page.$$eval('#weaker-results .result', (cards) => cards.length > 0) && !(await page.isVisible('#weaker-results'));
      assert.ok(focused === 'result-open' || (newOnesFolded && focused === 'secondary'), `focused: ${focused}`);
      assert.equal(new URL(page.url()).search, '', 'without url-state the address is left alone');
      assert.deepEqual([...new Set(events)].sort(), ['mosaic-ready', 'mosaic-results']);
      // Taken out of the page (its index is closed) and put back: it opens the index again and shows the query's results.
      const answersBefore = events.filter((name) => name === 'mosaic-results').length;
      await page.evaluate(() => {
        const element = document.querySelector('mosaic-search');
        const parent = element.parentNode;
        element.remove();
        setTimeout(() => parent.append(element), 50);
      });
      await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
      await page.waitForFunction((count) => globalThis.resultEvents > count, answersBefore, { timeout: 30000 });
      await waitForAnswer(page, 'animals that move');
      assert.equal(await page.$$eval('.result', (cards) => cards.length), 4);
    });
  } finally {
    await http.stop();
  }
});
