// The page both Chromium benchmarks load (browser_benchmark.mjs, partitioned_browser_benchmark.mjs):
// the built module and its lib/ copied beside a bench script, served with a site by `mosaic serve`, and
// loaded until the script says it is ready or failed. The first query travels in the URL's fragment
// (no request carries it), so the page can search as soon as it can, before the benchmark gets control back.
import fs from 'node:fs';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';

// Writes the page into scratch/web and returns that directory. `body`: the bench script's statements,
// run with `Mosaic` imported and `query` (the fragment's vector) defined; they set window.bench and end
// by marking the body ready; a throw marks it failed with the error's message.
export function writeBenchPage(webDirectory, scratch, { title, body }) {
  const web = path.join(scratch, 'web');
  fs.mkdirSync(web);
  for (const file of ['mosaic.mjs', 'mosaic-core.mjs', 'mosaic-core.wasm']) fs.copyFileSync(path.join(webDirectory, file), path.join(web, file));
  fs.cpSync(path.join(webDirectory, 'lib'), path.join(web, 'lib'), { recursive: true });  // the modules mosaic.mjs imports
  fs.writeFileSync(path.join(web, 'index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<script type="module" src="bench.mjs"></script></head><body data-state="loading"></body></html>
`);
  fs.writeFileSync(path.join(web, 'bench.mjs'), `import { Mosaic } from './mosaic.mjs';
const query = Float32Array.from(decodeURIComponent(location.hash.slice(1)).split(',').map(Number));
try {
${body}
  document.body.dataset.state = 'ready';
} catch (error) {
  document.body.textContent = error.message;
  document.body.dataset.state = 'failed';
}
`);
  return web;
}

// `mosaic serve` of `site` with the page. A Gemini-model site, so the gemini provider; its upstream is
// an unused local port, since vector queries never embed anything.
export async function serveBenchSite(mosaicBinary, site, web, scratch) {
  const keyFile = path.join(scratch, 'unused-key');
  fs.writeFileSync(keyFile, 'benchmark-key-never-sent\n', { mode: 0o600 });
  return startProcess(mosaicBinary, ['serve', '--port', '0', '--site', site, '--web', web,
    '--provider', 'gemini', '--api-key-file', keyFile, '--gemini-base-url', 'http://127.0.0.1:9', '--no-cache',
    '--threads', '2', '--workers', '1'], { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
}

// Loads the page (reload: page.reload(), since a goto to the same URL would only move to the fragment)
// and waits until the bench script is done; throws what the page said when it failed.
export async function loadBenchPage(page, url, { reload = false } = {}) {
  if (reload) await page.reload();
  else await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 300000 });
  const state = await page.evaluate(() => ({ state: document.body.dataset.state, text: document.body.textContent }));
  if (state.state !== 'ready') throw new Error(`the bench page failed: ${state.text}`);
}
