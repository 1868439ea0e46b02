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
