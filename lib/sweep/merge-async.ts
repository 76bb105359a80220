/**
 * Runs several async generators at once (at most `limit` at a time, the next starting when one ends)
 * and yields their values as they arrive, so a slow source does not hold back the others. Ends when
 * all have ended; the first error ends the whole merge.
 */
export async function* mergeAsync<T>(
  sources: AsyncIterator<T>[],
  limit = sources.length,
): AsyncGenerator<T, void, undefined> {
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number, source: AsyncIterator<T>) =>
    pending.set(
      index,
      source.next().then((result) => ({ index, result })),
    );
  let started = 0;
  const startNext = () => {
    if (started < sources.length) pull(started, sources[started++] as AsyncIterator<T>);
  };
  while (started < Math.max(1, limit) && started < sources.length) startNext();
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      const source = sources[index] as AsyncIterator<T>;
      if (result.done) {
        pending.delete(index);
        startNext();
        continue;
      }
      pull(index, source);
      yield result.value;
    }
  } finally {
    // Stop every source still running when the consumer stops early or one source failed.
    await Promise.allSettled([...pending.keys()].map((index) => sources[index]?.return?.()));
  }
}
