/**
 * Round-robin over several paged sources (one per index shard): the next item of every source that
 * still has one, in source order, then again, so that no source takes more than one item of any
 * `sources.length` in a row while all have items. Each item is yielded as soon as its source has it (a
 * slow source holds back the ones after it, never the ones before). Each source reads one page ahead,
 * at most `readsInFlight` page reads running at once across all sources, in source order.
 *
 * A source marked `late` is not waited for: it joins the rotation once a page of it has arrived. The
 * sweep marks so the shard values that writes no longer use (usually empty), so that reading them does
 * not hold back the deletes on the shards in use.
 */

/** A page of a source: its items and the read capacity DynamoDB charged for it. */
export interface SourcePage<T> {
  items: T[];
  consumedReadCapacity: number;
}

/** A batch of the round-robin: one item (none at the very end), and the capacity of the pages read for it. */
export interface InterleavedBatch<T> {
  items: T[];
  consumedReadCapacity: number;
}

/** A source, and whether the rotation may go on without waiting for its pages. */
export interface PagedSource<T> {
  pages: AsyncIterator<SourcePage<T>>;
  late?: boolean;
}

interface Lane<T> {
  source: AsyncIterator<SourcePage<T>>;
  late: boolean;
  buffer: T[];
  /** The next page, read ahead; undefined once the source has ended. */
  next: Promise<IteratorResult<SourcePage<T>>> | undefined;
  /** Whether `next` has settled. */
  settled: boolean;
}

/** Runs at most `limit` of the tasks given to it at once, in the order given. */
function limiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <R>(task: () => Promise<R>): Promise<R> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * Yields the items of the sources round-robin until every source has ended; the first error of a
 * source ends the whole. Sources still open when the consumer stops are closed.
 */
export async function* interleavePages<T>(
  sources: (AsyncIterator<SourcePage<T>> | PagedSource<T>)[],
  readsInFlight: number,
): AsyncGenerator<InterleavedBatch<T>, void, undefined> {
  const run = limiter(Math.max(1, readsInFlight));
  const readAhead = (lane: Lane<T>) => {
    const next = run(() => lane.source.next());
    lane.settled = false;
    // Awaited below; this only marks it settled and keeps a failure not awaited yet from being unhandled.
    next.then(
      () => {
        lane.settled = true;
      },
      () => {
        lane.settled = true;
      },
    );
    lane.next = next;
  };
  const lanes: Lane<T>[] = sources.map((source) =>
    'pages' in source
      ? { source: source.pages, late: source.late ?? false, buffer: [], next: undefined, settled: false }
      : { source, late: false, buffer: [], next: undefined, settled: false },
  );
  for (const lane of lanes) readAhead(lane);
  let consumedReadCapacity = 0;
  try {
    for (;;) {
      let yielded = false;
      for (const lane of lanes) {
        while (lane.buffer.length === 0 && lane.next && (!lane.late || lane.settled)) {
          const result = await lane.next;
          if (result.done) {
            lane.next = undefined;
          } else {
            lane.buffer.push(...result.value.items);
            consumedReadCapacity += result.value.consumedReadCapacity;
            readAhead(lane);
          }
        }
        if (lane.buffer.length > 0) {
          yield { items: lane.buffer.splice(0, 1), consumedReadCapacity };
          consumedReadCapacity = 0;
          yielded = true;
        }
      }
      if (!yielded) {
        const pending = lanes.filter((lane) => lane.next).map((lane) => lane.next);
        if (pending.length > 0) {
          // Only late sources are left, none of them ready: wait for one.
          await Promise.race(pending);
          continue;
        }
        // Empty pages still cost their read.
        if (consumedReadCapacity > 0) yield { items: [], consumedReadCapacity };
        return;
      }
    }
  } finally {
    // Stop every source still reading when the consumer stops early or one source failed.
    await Promise.allSettled(lanes.filter((lane) => lane.next).map((lane) => lane.source.return?.()));
  }
}
