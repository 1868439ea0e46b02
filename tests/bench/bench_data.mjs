// The data set both vector benchmarks read (written by mosaic_bench_vectors, see
// vector_index_generator.cpp), generated once into build/bench/vectors-<count>x<dimensions> and
// regenerated only when missing, and the statistics both report.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Generates the data set with the release build's generator unless dataset.json (written last) is there.
// labels > 0 gives item r the label "label-<r mod labels>" (a dataset.json without "labels" has none).
// layout: the sites written beside the raw files (the generator's --layout): 'flat' (site-i8/ and
// site-f32/), 'partitioned' (site-partitioned/ alone) or 'both'.
// The partition format the generator writes (shared/partition/partition_header.hpp): a data set whose
// partitioned site is older is regenerated, since readers refuse older partitions.
const partitionFormatVersion = 2;

function partitionedSiteIsCurrent(directory, existing) {
  if (!existing.sitePartitioned) return true;
  try {
    const site = path.join(directory, existing.sitePartitioned);
    const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    const first = manifest.partitions?.[0];
    if (!first) return true;
    const header = fs.readFileSync(path.join(site, first.file)).subarray(0, 10);
    return header.readUInt16LE(8) === partitionFormatVersion;
  } catch {
    return false;
  }
}

export function ensureDataSet(generator, directory, { count = 100000, dimensions = 768, queries = 200, labels = 0, layout = 'flat', clusters } = {}) {
  const description = path.join(directory, 'dataset.json');
  if (fs.existsSync(description)) {
    const existing = JSON.parse(fs.readFileSync(description, 'utf8'));
    const existingLayout = existing.files.siteI8 ? (existing.sitePartitioned ? 'both' : 'flat') : 'partitioned';
    const current = partitionedSiteIsCurrent(directory, existing);
    if (!current) console.error(`bench data: ${directory}'s partitioned site has an older partition format; regenerating`);
    if (current && existing.count === count && existing.dimensions === dimensions && existing.queries === queries &&
        (existing.labels ?? 0) === labels && existingLayout === layout &&
        (clusters === undefined || existing.clusters === clusters)) return existing;
  }
  console.error(`bench data: generating ${count} x ${dimensions} vectors${labels ? ` with ${labels} labels` : ''} into ${directory}…`);
  const labelArguments = labels > 0 ? ['--labels', String(labels)] : [];
  const clusterArguments = clusters === undefined ? [] : ['--clusters', String(clusters)];
  const outcome = spawnSync(generator, ['--out', directory, '--count', String(count), '--dimensions', String(dimensions),
    '--queries', String(queries), '--layout', layout, ...labelArguments, ...clusterArguments], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (outcome.status !== 0) throw new Error(`${generator} failed (${outcome.error?.message ?? `status ${outcome.status}`})`);
  return JSON.parse(fs.readFileSync(description, 'utf8'));
}

function readTyped(file, Type) {
  const bytes = fs.readFileSync(file);
  // A fresh, aligned buffer: Buffer pools may start a view at an odd offset.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Type(copy.buffer);
}

export function loadDataSet(directory) {
  const description = JSON.parse(fs.readFileSync(path.join(directory, 'dataset.json'), 'utf8'));
  const file = (name) => path.join(directory, description.files[name]);
  return {
    description,
    vectors: readTyped(file('vectors'), Float32Array),
    codes: readTyped(file('codes'), Int8Array),
    queries: readTyped(file('queries'), Float32Array),
    queryCodes: readTyped(file('queryCodes'), Int8Array),
    truth: readTyped(file('truth'), Uint32Array),
    siteI8: description.files.siteI8 && file('siteI8'),
    siteF32: description.files.siteF32 && file('siteF32'),
    sitePartitioned: description.sitePartitioned && path.join(directory, description.sitePartitioned),
  };
}

export function query(data, index) {
  const { dimensions } = data.description;
  return data.queries.subarray(index * dimensions, (index + 1) * dimensions);
}

export function queryCodes(data, index) {
  const { dimensions } = data.description;
  return data.queryCodes.subarray(index * dimensions, (index + 1) * dimensions);
}

// Recall@k of `found` (row numbers) against the exact top-k of query `index`.
export function recallAt(data, index, found) {
  const { k } = data.description;
  const truth = new Set(data.truth.subarray(index * k, (index + 1) * k));
  let hits = 0;
  for (const row of found.slice(0, k)) if (truth.has(row)) hits += 1;
  return hits / k;
}

// Nearest-rank percentile of a list of numbers.
export function percentile(values, fraction) {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

// Item ids are row + firstItemId, written as 16 hex digits by the core.
export function rowOfItemId(data, id) {
  return Number(BigInt(`0x${id}`)) - data.description.firstItemId;
}
