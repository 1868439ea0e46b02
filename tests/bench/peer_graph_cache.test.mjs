// The peers benchmark's graph cache (peer_graph_cache.mjs) gives back a graph only when its record and
// file match what the caller expects, and treats every other state of the folder as "rebuild".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { findCachedGraph, sha256Of, storeCachedGraph } from './peer_graph_cache.mjs';

const identity = { dataSet: { vectorsSha256: 'ab'.repeat(32), count: 3, dimensions: 2 }, library: 'peer 1.0', parameters: { m: 16 } };
const graphBytes = Buffer.from('a serialized graph of a few bytes');

const directories = [];
after(() => directories.forEach((directory) => fs.rmSync(directory, { recursive: true, force: true })));
function freshDirectory() {
  directories.push(fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-peer-graphs-')));
  return directories.at(-1);
}

async function storedDirectory() {
  const directory = freshDirectory();
  await storeCachedGraph(directory, 'peer', identity, { buildSeconds: 12.5, vectors: 3, bytes: graphBytes });
  return directory;
}

test('a stored graph is found with its record and bytes', async () => {
  const directory = await storedDirectory();
  const found = await findCachedGraph(directory, 'peer', identity, { readBytes: true });
  assert.equal(found.reason, undefined);
  assert.equal(found.graphFile, path.join(directory, 'peer.graph'));
  assert.deepEqual(found.bytes, graphBytes);
  assert.equal(found.record.buildSeconds, 12.5);
  assert.deepEqual(found.record.graph, { bytes: graphBytes.length, sha256: sha256Of(graphBytes) });
  // Without readBytes the file is hashed from disk, with the same verdict.
  const streamed = await findCachedGraph(directory, 'peer', identity);
  assert.equal(streamed.graphFile, found.graphFile);
  assert.equal(streamed.bytes, undefined);
});

test('a graph written by the library itself is stored the same way', async () => {
  const directory = freshDirectory();
  await storeCachedGraph(directory, 'peer', identity, {
    buildSeconds: 3, vectors: 3,
    writeGraph: async (file) => { await fs.promises.writeFile(file, graphBytes); },
  });
  const found = await findCachedGraph(directory, 'peer', identity, { readBytes: true });
  assert.deepEqual(found.bytes, graphBytes);
  assert.deepEqual(fs.readdirSync(directory).sort(), ['peer.graph', 'peer.json']);
});

test('nothing stored yet, or stored for something else, is a reason to build', async () => {
  assert.equal((await findCachedGraph(freshDirectory(), 'peer', identity)).reason, 'not built yet');
  const directory = await storedDirectory();
  for (const other of [
    { ...identity, library: 'peer 1.1' },
    { ...identity, parameters: { m: 32 } },
    { ...identity, dataSet: { ...identity.dataSet, vectorsSha256: 'cd'.repeat(32) } },
  ]) {
    const found = await findCachedGraph(directory, 'peer', other);
    assert.equal(found.graphFile, undefined);
    assert.match(found.reason, /other data, library version or parameters/);
  }
});

test('a graph file that is truncated, altered or gone is refused', async () => {
  const directory = await storedDirectory();
  const graphFile = path.join(directory, 'peer.graph');
  const altered = Buffer.from(graphBytes);
  altered[4] ^= 1;
  fs.writeFileSync(graphFile, altered);
  assert.match((await findCachedGraph(directory, 'peer', identity, { readBytes: true })).reason, /SHA-256/);
  assert.match((await findCachedGraph(directory, 'peer', identity)).reason, /SHA-256/);
  fs.writeFileSync(graphFile, graphBytes.subarray(0, 5));
  assert.match((await findCachedGraph(directory, 'peer', identity)).reason, /of 5 bytes, the record says/);
  fs.rmSync(graphFile);
  assert.match((await findCachedGraph(directory, 'peer', identity)).reason, /graph file missing/);
});

test('a record that does not parse or has wrong fields is refused', async () => {
  const directory = await storedDirectory();
  const recordFile = path.join(directory, 'peer.json');
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  const cases = [
    ['{"format": 1, "identity":', /unreadable record/],
    ['null', /another format/],
    [JSON.stringify({ ...record, format: 2 }), /another format/],
    [JSON.stringify({ ...record, graph: { ...record.graph, bytes: String(record.graph.bytes) } }), /malformed record \(graph/],
    [JSON.stringify({ ...record, graph: { ...record.graph, bytes: -1 } }), /malformed record \(graph/],
    [JSON.stringify({ ...record, graph: { ...record.graph, sha256: 'not a hash' } }), /malformed record \(graph/],
    [JSON.stringify({ ...record, buildSeconds: 'fast' }), /malformed record \(build time/],
    [JSON.stringify({ ...record, buildSeconds: 0 }), /malformed record \(build time/],
  ];
  for (const [text, reason] of cases) {
    fs.writeFileSync(recordFile, text);
    const found = await findCachedGraph(directory, 'peer', identity);
    assert.equal(found.graphFile, undefined, text);
    assert.match(found.reason, reason, text);
  }
});

test('a save that fails midway leaves no record behind, so the old graph is not trusted either', async () => {
  const directory = await storedDirectory();
  await assert.rejects(storeCachedGraph(directory, 'peer', identity, {
    buildSeconds: 1, vectors: 3, writeGraph: () => { throw new Error('disk full'); },
  }), /disk full/);
  assert.equal((await findCachedGraph(directory, 'peer', identity)).reason, 'not built yet');
});
