/**
 * The queue between a durable subscription's sources (one per pattern) and its one
 * iterator. Bounded with backpressure, never with drops: `put` waits for room, so an
 * at-least-once source simply stops pulling while the consumer is busy.
 */
interface Taker<T> {
  resolve(r: IteratorResult<T>): void;
  reject(err: unknown): void;
}

export class DurableQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private readonly takers: Array<Taker<T>> = [];
  private readonly putters: Array<() => void> = [];
  private ended = false;
  private failure: { err: unknown } | undefined;

  constructor(
    private readonly capacity: number,
    private readonly onReturn: () => Promise<void>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`durable batch must be a positive integer, got ${capacity}`);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Resolves once the item is queued (false when the queue ended and it was discarded). */
  async put(item: T): Promise<boolean> {
    while (!this.ended && this.items.length >= this.capacity && this.takers.length === 0) {
      await new Promise<void>((resolve) => this.putters.push(resolve));
    }
    if (this.ended) return false;
    const taker = this.takers.shift();
    if (taker) taker.resolve({ value: item, done: false });
    else this.items.push(item);
    return true;
  }

  /** Ends iteration; queued items are discarded, waiting putters released. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.items = [];
    for (const t of this.takers.splice(0)) t.resolve({ value: undefined, done: true });
    for (const p of this.putters.splice(0)) p();
  }

  /** Ends iteration with an error: the pending (or next) `next()` rejects with it, later ones are done. */
  fail(err: unknown): void {
    if (this.ended) return;
    const takers = this.takers.splice(0);
    if (takers.length > 0) for (const t of takers) t.reject(err);
    else this.failure = { err };
    this.end();
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.failure) {
      const { err } = this.failure;
      this.failure = undefined;
      return Promise.reject(err);
    }
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      this.putters.shift()?.();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.takers.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.onReturn();
        return { value: undefined, done: true };
      },
    };
  }
}

/**
 * Recently yielded event ids (bounded, oldest forgotten first): an event matching two
 * patterns of one durable, or redelivered while still in hand, is yielded once.
 */
export class RecentIds<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity = 10_000) {}

  get(id: string): V | undefined {
    return this.map.get(id);
  }

  set(id: string, value: V): void {
    if (this.map.size >= this.capacity && !this.map.has(id)) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(id, value);
  }
}
