// The peers benchmark's cache of built HNSW graphs (build/bench/peer-graphs): a full build over 100,000
// x 768 takes minutes, so each graph is saved once with a record of what it is and how long its build
// took, and later runs load it. One graph file and one record per peer (a new build replaces them):
//   NAME.graph  the library's own serialized index
//   NAME.json   { format, identity, graph: { bytes, sha256 }, buildSeconds, builtAt, vectors }
// identity = the data set (SHA-256 of its float32 vectors), the library and its version, the build
// parameters: any difference means a rebuild. The files are treated as hostile: the record must parse
// and match field by field, and the graph's size and SHA-256 must match the record before a library
// reads it, since a native or wasm index loader trusts its input. The record is written last, so an
// interrupted save leaves no record and is rebuilt.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const recordFormat = 1;

export function sha256Of(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

async function sha256OfFile(file) {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk);
  return hash.digest('hex');
}

const filesOf = (directory, name) => ({
  graph: path.join(directory, `${name}.graph`),
  record: path.join(directory, `${name}.json`),
});

// Returns { graphFile, record } for a cached graph that matches `identity`, or { reason } why there is
// none to use. With readBytes the graph file is read once, checked, and returned as `bytes` too.
export async function findCachedGraph(directory, name, identity, { readBytes = false } = {}) {
  const files = filesOf(directory, name);
  let record;
  try {
    record = JSON.parse(fs.readFileSync(files.record, 'utf8'));
  } catch (error) {
    return { reason: error.code === 'ENOENT' ? 'not built yet' : `unreadable record (${error.message})` };
  }
  if (record?.format !== recordFormat) return { reason: 'record of another format' };
  if (JSON.stringify(record.identity) !== JSON.stringify(identity)) return { reason: 'built for other data, library version or parameters' };
  const graph = record.graph;
  if (!Number.isSafeInteger(graph?.bytes) || graph.bytes <= 0 || typeof graph.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(graph.sha256)) {
    return { reason: 'malformed record (graph size or hash)' };
  }
  if (!(Number.isFinite(record.buildSeconds) && record.buildSeconds > 0) || typeof record.builtAt !== 'string') {
    return { reason: 'malformed record (build time)' };
  }
  let size;
  try {
    size = fs.statSync(files.graph).size;
  } catch (error) {
    return { reason: `graph file missing (${error.code ?? error.message})` };
  }
  if (size !== graph.bytes) return { reason: `graph file of ${size} bytes, the record says ${graph.bytes}` };
  const bytes = readBytes ? fs.readFileSync(files.graph) : undefined;
  const actual = bytes ? sha256Of(bytes) : await sha256OfFile(files.graph);
  if (actual !== graph.sha256) return { reason: 'graph file does not match its recorded SHA-256' };
  return { graphFile: files.graph, record, bytes };
}

// Saves a graph: `writeGraph(file)` writes the library's file (sync or async), or `bytes` are written.
export async function storeCachedGraph(directory, name, identity, { buildSeconds, vectors, writeGraph, bytes }) {
  const files = filesOf(directory, name);
  fs.mkdirSync(directory, { recursive: true });
  fs.rmSync(files.record, { force: true });
  const partial = `${files.graph}.partial`;
  if (bytes) fs.writeFileSync(partial, bytes);
  else await writeGraph(partial);
  const size = fs.statSync(partial).size;
  const sha256 = bytes ? sha256Of(bytes) : await sha256OfFile(partial);
  fs.renameSync(partial, files.graph);
  const record = { format: recordFormat, identity, graph: { bytes: size, sha256 }, buildSeconds, builtAt: new Date().toISOString(), vectors };
  fs.writeFileSync(`${files.record}.partial`, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(`${files.record}.partial`, files.record);
  return { graphFile: files.graph, record };
}
