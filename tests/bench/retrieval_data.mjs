// Where the beir-msmarco-5k retrieval data set is, for the benchmarks that read it: MOSAIC_SHARED_DATA_DIR,
// else ../shared/data beside the checkout, else beside the folder of worktrees holding it. The
// folder returned may not exist (a benchmark then says it is skipped).
import fs from 'node:fs';
import path from 'node:path';

/** @param {string} repositoryRoot */
export function findRetrievalDataDirectory(repositoryRoot) {
  const candidates = [process.env.MOSAIC_SHARED_DATA_DIR, path.resolve(repositoryRoot, '..', 'shared', 'data'),
    path.resolve(repositoryRoot, '..', '..', 'shared', 'data')].filter(Boolean)
    .map((folder) => path.join(folder, 'beir-msmarco-5k'));
  return candidates.find((folder) => fs.existsSync(path.join(folder, 'corpus.jsonl')))
    ?? path.resolve(repositoryRoot, '..', 'shared', 'data', 'beir-msmarco-5k');
}
