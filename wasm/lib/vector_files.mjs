// A manifest's vector files (docs/format.md): its shards, on a flat site, which a client loads whole at
// open; or its partitions, on a partitioned site, which a client fetches as queries probe them. One
// place decides which list a module reads.

/**
 * @typedef {import('./loaded_generation.mjs').Manifest} Manifest
 * @typedef {import('./loaded_generation.mjs').ManifestShard} ManifestShard
 */

/** @param {Manifest} manifest */
export function isPartitioned(manifest) {
  return manifest.layout === 'partitioned';
}

/**
 * Shards or partitions, in manifest order (a partition entry has a shard entry's fields and headBytes).
 * @param {Manifest} manifest
 * @returns {ManifestShard[]}
 */
export function vectorFilesOf(manifest) {
  return isPartitioned(manifest) ? manifest.partitions ?? [] : manifest.shards;
}

/**
 * Every content hash a manifest names for the vector side: vector files, their item metadata and
 * the centroid table. The store keeps these and evicts the rest.
 * @param {Manifest} manifest
 * @returns {Set<string>}
 */
export function vectorHashesOf(manifest) {
  const hashes = new Set(vectorFilesOf(manifest).flatMap((file) => [file.hash, file.metadata.hash]));
  if (manifest.centroids) hashes.add(manifest.centroids.hash);
  return hashes;
}
