// The small text collection the JavaScript API and browser tests index, and the two things they do with
// it: write it to a folder and run the native CLI over it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Short texts in three label folders: each query the tests make has one clear answer.
export const sampleFiles = {
  'animals/cheetah.txt': 'The cheetah is the fastest land animal, sprinting across the savanna after gazelles.',
  'animals/tortoise.txt': 'A giant tortoise moves slowly and can live for more than a hundred years.',
  'animals/falcon.txt': 'The peregrine falcon dives at enormous speed to catch other birds in flight.',
  'food/soup.md': '# Tomato soup\nSimmer tomatoes with basil, garlic and olive oil, then blend until smooth.',
  'food/bread.txt': 'Knead the dough, let it rise overnight and bake the loaf in a very hot oven.',
  'finance/report.txt': 'Quarterly revenue grew by eight percent while operating costs fell.',
};

export function writeFiles(folder, files) {
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, relative)), { recursive: true });
    fs.writeFileSync(path.join(folder, relative), content);
  }
}

// Runs the native CLI and returns what it printed; a failure fails the test with its stderr.
export function runMosaic(nativeCli, args, { env = process.env } = {}) {
  const outcome = spawnSync(nativeCli, args, { encoding: 'utf8', env });
  assert.equal(outcome.status, 0, `mosaic ${args.join(' ')}: ${outcome.stderr}`);
  return outcome.stdout;
}

// Two texts in two label folders, written to a fresh temporary folder and indexed by the native CLI
// (local model): the site the `mosaic serve` tests start from. {root, collection, site}; the caller
// removes root.
export const servedFiles = {
  'animals/cheetah.txt': 'The cheetah is the fastest land animal on the savanna.',
  'food/soup.txt': 'Tomato soup with basil, simmered slowly and blended.',
};

export function makeIndexedSite(nativeCli, prefix) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const collection = path.join(root, 'collection');
  const site = path.join(root, 'site');
  writeFiles(collection, servedFiles);
  runMosaic(nativeCli, ['index', collection, '--out', site]);
  return { root, collection, site };
}
