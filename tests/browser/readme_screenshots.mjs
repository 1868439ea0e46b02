// The README's screenshots (docs/web-app*.png): the web app over a `make demo` site, at 1280 and 375 px,
// in the light and the dark scheme, after the query "a house with a garden", saved in
// MOSAIC_SCREENSHOT_DIR as web-app-WIDTH-SCHEME.png. Not a test (it asserts only that the search
// answered, with at least one close match); run by hand with the browser tests' environment:
//
//   MOSAIC_SITE_APP_DIR=build-wasm/site-app MOSAIC_NATIVE_CLI=build/bin/mosaic \
//   MOSAIC_MODEL_DIR=… MOSAIC_TEST_NODE_PREFIX=… MOSAIC_SCREENSHOT_DIR=build-wasm/screenshots \
//     node tests/browser/readme_screenshots.mjs build/demo/site-local
//
// (the values ctest gives the browser tests: `ctest --test-dir build-wasm -R wasm.web.search_element -V`
// prints them), then copy the four files to docs/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { browserTestEnvironment, launchBrowser, startAppServer, waitForAnswer } from './browser.mjs';

const site = process.argv[2];
assert.ok(site && fs.existsSync(path.join(site, 'manifest.json')), 'usage: node tests/browser/readme_screenshots.mjs SITE (a make demo site)');
const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();
const query = 'a house with a garden';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-readme-screenshots-'));
const server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root });
try {
  for (const [width, height] of [[1280, 860], [375, 740]]) {
    for (const scheme of ['light', 'dark']) {
      const name = `web-app-${width}-${scheme}`;
      const browser = await launchBrowser(playwright, path.join(root, `profile-${name}`), { viewport: { width, height } });
      try {
        const page = browser.pages()[0] ?? await browser.newPage();
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`http://127.0.0.1:${server.port}/?q=${encodeURIComponent(query)}`);
        await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 60000 });
        await waitForAnswer(page, query);
        assert.equal(await page.getAttribute('mosaic-search', 'data-match'), 'close', `"${query}" has close matches`);
        // The thumbnails, loaded (the first cards' images are eager).
        await page.waitForFunction(() => [...document.querySelector('mosaic-search').shadowRoot.querySelectorAll('#results .preview img')]
          .slice(0, 4).every((image) => image.complete), undefined, { timeout: 30000 });
        await page.screenshot({ path: path.join(screenshotDirectory, `${name}.png`) });
        console.log(`readme_screenshots: ${path.join(screenshotDirectory, `${name}.png`)}`);
      } finally {
        await browser.close();
      }
    }
  }
} finally {
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
}
