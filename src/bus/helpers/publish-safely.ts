/**
 * `publishSafely`: a publish that never breaks a worker loop (spec/bus.md §6).
 * Failures are logged at most once per second per topic and counted per bus.
 */
import { systemClock, type Clock } from '../clock.js';
import { RateLimitedLog, silentLogger, type Logger } from '../log.js';
import type { PayloadOf } from '../topics/typed.js';
import type { Bus, PublishOptions } from '../types.js';

export interface SafeOptions extends PublishOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
}

interface FailureBook {
  count: number;
  limiter: RateLimitedLog;
}

const books = new WeakMap<Bus, FailureBook>();

/** Failed publishes through `publishSafely` on this bus since it was created. */
export function safePublishFailures(bus: Bus): number {
  return books.get(bus)?.count ?? 0;
}

/** Publishes; resolves true when the bus accepted the event, false otherwise. Never rejects. */
export async function publishSafely<T extends string>(bus: Bus | null | undefined, topic: T, payload: PayloadOf<T>, opts: SafeOptions = {}): Promise<boolean> {
  if (!bus) return false;
  try {
    const { log: _log, clock: _clock, ...publishOpts } = opts;
    await bus.publish(topic, payload, publishOpts);
    return true;
  } catch (err) {
    let book = books.get(bus);
    if (!book) {
      const clock = opts.clock ?? systemClock;
      book = { count: 0, limiter: new RateLimitedLog(opts.log ?? silentLogger, () => clock.now()) };
      books.set(bus, book);
    }
    book.count++;
    book.limiter.warn(topic, { topic, err: err instanceof Error ? err.message : String(err), failures: book.count }, 'publish failed; the worker carries on');
    return false;
  }
}
