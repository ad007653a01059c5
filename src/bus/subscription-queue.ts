/**
 * A subscription's bounded queue and async iterator. Past its bound the oldest
 * event is dropped and counted, so a slow consumer sees the newest events and
 * memory stays bounded (spec/bus.md §4.2).
 */
import type { BusEvent, Subscription } from './types.js';

export const DEFAULT_SUBSCRIPTION_QUEUE = 1024;

export class SubscriptionQueue implements Subscription {
  private ring: Array<BusEvent | undefined>;
  private head = 0;
  private count = 0;
  private waiter: ((r: IteratorResult<BusEvent>) => void) | undefined;
  private ended = false;
  private droppedCount = 0;
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: unknown) => void;
  private readyHandled = false;

  constructor(
    readonly pattern: string,
    private readonly capacity: number,
    private readonly onClose: (sub: SubscriptionQueue) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`subscription queue must be a positive integer, got ${capacity}`);
    this.ring = new Array<BusEvent | undefined>(Math.min(capacity, 64));
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get closed(): boolean {
    return this.ended;
  }

  markReady(): void {
    this.readyHandled = true;
    this.resolveReady();
  }

  failReady(err: unknown): void {
    if (this.readyHandled) return;
    this.readyHandled = true;
    this.rejectReady(err);
  }

  /** Returns false when the event pushed out an older one. */
  push(event: BusEvent): boolean {
    if (this.ended) return true;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w({ value: event, done: false });
      return true;
    }
    let kept = true;
    if (this.count === this.capacity) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      this.droppedCount++;
      kept = false;
    }
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) % this.ring.length] = event;
    this.count++;
    return kept;
  }

  private grow(): void {
    const next = new Array<BusEvent | undefined>(Math.min(this.capacity, this.ring.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }

  /** Ends iteration at once; events still queued are discarded. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.ring = [];
    this.head = 0;
    this.count = 0;
    // a subscription closed before it was routed is simply ready: nothing can be missed any more
    this.markReady();
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.end();
    this.onClose(this);
  }

  private next(): Promise<IteratorResult<BusEvent>> {
    if (this.count > 0 && !this.ended) {
      const value = this.ring[this.head] as BusEvent;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<BusEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }
}
