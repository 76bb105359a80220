import { describe, expect, it } from 'vitest';
import { type InterleavedBatch, interleavePages, type SourcePage } from '../../../lib/sweep/interleave.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A paged source: `pages` of items, each costing 1 read unit, read after `delayMs`. */
function source<T>(pages: T[][], options: { delayMs?: number; failAt?: number } = {}) {
  const state = { closed: false, reads: 0 };
  async function* generate(): AsyncGenerator<SourcePage<T>> {
    try {
      for (const [index, items] of pages.entries()) {
        state.reads++;
        await tick(options.delayMs ?? 0);
        if (index === options.failAt) throw new Error(`source failed at page ${index}`);
        yield { items, consumedReadCapacity: 1 };
      }
    } finally {
      state.closed = true;
    }
  }
  return { iterator: generate(), state };
}

async function collect<T>(iterable: AsyncIterable<InterleavedBatch<T>>): Promise<InterleavedBatch<T>[]> {
  const batches: InterleavedBatch<T>[] = [];
  for await (const batch of iterable) batches.push(batch);
  return batches;
}

describe('interleavePages', () => {
  it('takes one item of every source in turn, across page boundaries', async () => {
    const batches = await collect(
      interleavePages([source([['a1', 'a2'], ['a3']]).iterator, source([['b1'], ['b2', 'b3']]).iterator], 2),
    );

    expect(batches.map((batch) => batch.items)).toEqual([['a1'], ['b1'], ['a2'], ['b2'], ['a3'], ['b3']]);
  });

  it('goes on with the sources that still have items, in their order', async () => {
    const batches = await collect(
      interleavePages(
        [source([['a1']]).iterator, source([['b1', 'b2', 'b3']]).iterator, source([[]]).iterator],
        1,
      ),
    );

    expect(batches.flatMap((batch) => batch.items)).toEqual(['a1', 'b1', 'b2', 'b3']);
  });

  it('waits for a slow source rather than giving its turn to a fast one', async () => {
    const batches = await collect(
      interleavePages(
        [source([['slow1'], ['slow2']], { delayMs: 30 }).iterator, source([['fast1', 'fast2']]).iterator],
        4,
      ),
    );

    expect(batches.flatMap((batch) => batch.items)).toEqual(['slow1', 'fast1', 'slow2', 'fast2']);
  });

  it('counts the read capacity of every page once, empty pages included', async () => {
    const batches = await collect(
      interleavePages(
        [source([['a1'], ['a2']]).iterator, source([[]]).iterator, source([[], []]).iterator],
        2,
      ),
    );

    expect(batches.reduce((sum, batch) => sum + batch.consumedReadCapacity, 0)).toBe(5);
  });

  it('yields nothing but the capacity of empty sources, and nothing at all without sources', async () => {
    expect(await collect(interleavePages([source([[]]).iterator], 1))).toEqual([
      { items: [], consumedReadCapacity: 1 },
    ]);
    expect(await collect(interleavePages([], 1))).toEqual([]);
  });

  it('fails with the first failing source and closes the others', async () => {
    const healthy = source([['h1'], ['h2'], ['h3']], { delayMs: 5 });
    const failing = source([['f1'], ['f2']], { failAt: 1 });

    await expect(collect(interleavePages([healthy.iterator, failing.iterator], 2))).rejects.toThrow(
      'source failed at page 1',
    );
    expect(healthy.state.closed).toBe(true);
  });

  it('closes every source when the consumer stops early', async () => {
    const sources = [source([['a1'], ['a2']]), source([['b1'], ['b2']])];
    for await (const batch of interleavePages(
      sources.map((entry) => entry.iterator),
      2,
    )) {
      expect(batch.items).toEqual(['a1']);
      break;
    }

    expect(sources.map((entry) => entry.state.closed)).toEqual([true, true]);
  });

  it("yields a source's item as soon as it and the sources before it have one", async () => {
    const slow = source([['slow1']], { delayMs: 200 });
    const iterator = interleavePages([source([['fast1']]).iterator, slow.iterator], 2);
    const started = Date.now();

    expect((await iterator.next()).value?.items).toEqual(['fast1']);
    expect(Date.now() - started).toBeLessThan(150);
    expect((await iterator.next()).value?.items).toEqual(['slow1']);
    await iterator.return(undefined);
  });

  it('reads no more than one page ahead per source', async () => {
    const a = source([['a1'], ['a2'], ['a3'], ['a4']]);
    const iterator = interleavePages([a.iterator], 1);

    await iterator.next();
    await tick(5);

    expect(a.state.reads).toBeLessThanOrEqual(2);
    await iterator.return(undefined);
  });
});

describe('interleavePages with late sources', () => {
  it('goes on without a late source until its page arrives, then takes it into the rotation', async () => {
    const late = source([['late1', 'late2']], { delayMs: 60 });
    const order: string[] = [];
    for await (const batch of interleavePages(
      [
        { pages: source([['a1', 'a2', 'a3', 'a4', 'a5', 'a6']], { delayMs: 0 }).iterator },
        { pages: late.iterator, late: true },
      ],
      2,
    )) {
      order.push(...batch.items);
      await tick(20);
    }

    expect(order.slice(0, 2)).toEqual(['a1', 'a2']);
    expect([...order].sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'late1', 'late2']);
    const firstLate = order.indexOf('late1');
    expect(order[firstLate + 1]).toMatch(/^a/);
  });

  it('waits for the late sources when nothing else is left', async () => {
    const batches = await collect(
      interleavePages([{ pages: source([['only']], { delayMs: 30 }).iterator, late: true }], 1),
    );

    expect(batches.flatMap((batch) => batch.items)).toEqual(['only']);
  });
});
