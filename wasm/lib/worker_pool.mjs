// The one bounded pool that loads shards, at open and at each refresh: a few downloads at once keep
// the connection busy without asking a host for every shard at the same moment.

/**
 * Runs task(0), task(1), ... task(count - 1), at most `concurrency` at a time, started in order.
 * Once a task has thrown, or `isStopped()` is true, no further task starts. Resolves when every
 * started task has settled (none is left writing into an index), then rejects with the first
 * failure, if any.
 * @param {number} count
 * @param {number} concurrency
 * @param {(index: number) => Promise<void>} task
 * @param {() => boolean} [isStopped]
 * @returns {Promise<void>}
 */
export async function runBounded(count, concurrency, task, isStopped = () => false) {
  let next = 0;
  /** @type {{ error: unknown } | undefined} */
  let failure;
  const worker = async () => {
    while (next < count && !failure && !isStopped()) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, count));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.error;
}
