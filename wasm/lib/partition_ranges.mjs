// Which byte ranges of a partition file to request for the rows an answer still needs
// (docs/format.md, "Partition files": row r of the rows block at rows_offset + r * row_stride). Rows
// close together share one request: a gap of a few rows costs fewer bytes than another request's
// round trip and headers, and fewer requests queue behind the browser's few connections per host.

/**
 * Rows between two wanted ones that are still fetched to save a request, in bytes of rows: measured
 * on the 1,000,000-item site (README, "Performance", partitioned layout).
 */
export const rangeGapBytes = 4096;
/**
 * The most requests for the rows of one partition: past it the nearest runs are joined. Measured at
 * 100,000 items (317 rows a partition, candidates spread over them): without a bound a first query
 * made 241 requests and took twice as long as whole partitions.
 */
export const maxRunsPerPartition = 4;

/**
 * Range reads cost a second round trip per query (heads, then rows) and more requests than whole
 * partitions; they pay only when they save bytes. When the heads and rows fetched so far come to more
 * than this share of the whole partitions they were cut from, a client left to choose (rangeRequests
 * not given) fetches partitions it does not hold yet whole. Measured on localhost (README, "Performance",
 * partitioned layout): 317-row partitions of 768 dimensions fetched 84% of their bytes by Range, and
 * cold queries took 145 ms against 20 ms whole; 1,000-row partitions fetched 42% and cost the same
 * either way, with 6.7 MB instead of 18.3 MB before the first result.
 */
export const rangeWorthShare = 2 / 3;
/** Partitions fetched by Range before the share is judged: one query's probes, not one partition's luck. */
export const rangeJudgedAfterPartitions = 8;

/**
 * Whether Range reads still pay, from what they fetched: `rangeBytes` of heads and rows for
 * `partitions` partitions whose whole files are `wholeBytes`.
 * @param {{ rangeBytes: number, wholeBytes: number, partitions: number }} ledger
 */
export function rangesPay({ rangeBytes, wholeBytes, partitions }) {
  return partitions < rangeJudgedAfterPartitions || rangeBytes <= rangeWorthShare * wholeBytes;
}

/**
 * The wanted rows of one partition as runs to fetch, each `{first, count}` rows: sorted, rows less
 * than `gapBytes` apart joined (the rows between are fetched too), then the runs with the smallest
 * gaps between them joined until at most `maxRuns` are left.
 * @param {Iterable<number>} rows  row numbers (any order, repeats allowed)
 * @param {number} rowStride  bytes of one row
 * @param {number} [gapBytes]
 * @param {number} [maxRuns]
 * @returns {{ first: number, count: number }[]}
 */
export function rowRuns(rows, rowStride, gapBytes = rangeGapBytes, maxRuns = maxRunsPerPartition) {
  const sorted = [...new Set(rows)].sort((left, right) => left - right);
  const maxGapRows = Math.floor(gapBytes / rowStride);
  /** @type {{ first: number, count: number }[]} */
  const runs = [];
  for (const row of sorted) {
    const last = runs[runs.length - 1];
    if (last && row - (last.first + last.count) <= maxGapRows) last.count = row - last.first + 1;
    else runs.push({ first: row, count: 1 });
  }
  /** @param {number} at  the gap after run `at` */
  const gap = (at) => runs[at + 1].first - (runs[at].first + runs[at].count);
  while (runs.length > Math.max(1, maxRuns)) {
    let nearest = 0;
    for (let index = 1; index < runs.length - 1; index += 1) if (gap(index) < gap(nearest)) nearest = index;
    const joined = runs[nearest + 1];
    runs[nearest].count = joined.first + joined.count - runs[nearest].first;
    runs.splice(nearest + 1, 1);
  }
  return runs;
}

/**
 * Whether a stored piece [start, end) holds the whole run of rows (its byte range).
 * @param {[number, number][]} pieces
 * @param {number} start
 * @param {number} end  exclusive
 * @returns {[number, number] | undefined}  the piece that covers it
 */
export function coveringPiece(pieces, start, end) {
  return pieces.find(([pieceStart, pieceEnd]) => pieceStart <= start && end <= pieceEnd);
}
