// What the CLI tests read back from a folder they index and the site it becomes: one place for the
// collection folder's shape, the items a site lists and `mosaic query --json`'s results.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Writes files ({relative path: content}) under ROOT/collection and returns ROOT, where a test puts
// the site and the cache beside the collection.
export function writeCollection(root, files) {
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, 'collection', relative)), { recursive: true });
    fs.writeFileSync(path.join(root, 'collection', relative), content);
  }
  return root;
}

// Every item of a flat site, in shard order, as its item metadata files list them.
export function siteItems(site) {
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  return manifest.shards.flatMap((shard) => JSON.parse(fs.readFileSync(path.join(site, shard.metadata.file), 'utf8')).items);
}

// The results of `mosaic query SITE TEXT --json OPTIONS…`, which must succeed.
export function queryResults(cli, site, text, ...options) {
  const outcome = spawnSync(cli, ['query', site, text, '--json', ...options], { encoding: 'utf8' });
  assert.equal(outcome.status, 0, outcome.stderr);
  return JSON.parse(outcome.stdout).results;
}
