/**
 * `durable()` where there is no server-side store (unix, memory, null): a live
 * subscription per pattern, merged, each event once, with an `ack()` that does nothing.
 *
 * Honestly at-most-once (CORRECTIONS #4.6): events published while the process is down,
 * disconnected, or too slow for its queue are lost. A worker that promises no loss
 * re-reads the database (journal) and uses this only as a wake-up.
 */
import type { DurableMessage, DurableOptions, DurableSubscription, Subscription, SubscribeOptions } from '../types.js';
import { normalizePatterns, validateDurableName } from './names.js';
import { DurableQueue, RecentIds } from './queue.js';

/** What the fallback needs from a bus. */
export interface LiveSource {
  subscribe(pattern: string, opts?: SubscribeOptions): Subscription;
}

const noAck = (): Promise<void> => Promise.resolve();

/** Default number of events held ahead of the consumer. */
export const DEFAULT_DURABLE_BATCH = 64;

export function liveDurable(bus: LiveSource, name: string, patterns: string | readonly string[], opts?: DurableOptions): DurableSubscription {
  validateDurableName(name);
  const list = normalizePatterns(patterns);
  const batch = opts?.batch ?? DEFAULT_DURABLE_BATCH;
  let closing: Promise<void> | undefined;
  const subs: Subscription[] = [];
  const close = (): Promise<void> => {
    closing ??= (async () => {
      queue.end();
      await Promise.all(subs.map((s) => s.close()));
    })();
    return closing;
  };
  const queue = new DurableQueue<DurableMessage>(batch, close);
  for (const p of list) subs.push(bus.subscribe(p));
  const seen = new RecentIds<true>();
  let live = subs.length;
  for (const sub of subs) {
    void (async () => {
      for await (const event of sub) {
        if (seen.get(event.id)) continue; // matched two of the patterns: once is enough
        seen.set(event.id, true);
        if (!(await queue.put({ event, redelivered: false, ack: noAck }))) break;
      }
    })().finally(() => {
      live--;
      if (live === 0) queue.end(); // the bus closed: nothing more will come
    });
  }
  const ready = Promise.all(subs.map((s) => s.ready)).then(() => undefined);
  ready.catch(() => undefined); // the caller may never look at it; iteration goes on regardless
  return {
    name,
    patterns: list,
    guarantee: 'at-most-once',
    ready,
    close,
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  };
}
