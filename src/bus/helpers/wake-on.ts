/**
 * `wakeOn`: the loop of a worker that re-reads the database. Yields when a
 * matching event arrives (`event`), when the bus reconnects (`reconnected`:
 * events may have been missed), or after `pollMs` of quiet (`poll`). Wakes
 * coalesce: however many events arrive while the worker is busy, one wake is
 * pending at most (spec/bus.md §6, CORRECTIONS #2.8).
 */
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Bus, Subscription } from '../types.js';

export type WakeReason = 'event' | 'poll' | 'reconnected';

export interface WakeOptions {
  readonly signal: AbortSignal;
  readonly clock?: Clock;
}

// a reconnect outranks an event: it says more may have been missed
const RANK: Record<WakeReason, number> = { poll: 0, event: 1, reconnected: 2 };

export async function* wakeOn(bus: Bus | null, patterns: readonly string[], pollMs: number, opts: WakeOptions): AsyncGenerator<WakeReason, void, undefined> {
  const clock = opts.clock ?? systemClock;
  const { signal } = opts;
  let pending: WakeReason | undefined;
  let notify: (() => void) | undefined;
  const wake = (reason: WakeReason): void => {
    if (pending === undefined || RANK[reason] > RANK[pending]) pending = reason;
    const n = notify;
    notify = undefined;
    n?.();
  };
  const subs: Subscription[] = bus ? patterns.map((p) => bus.subscribe(p, { queue: 1 })) : [];
  const offState = bus?.on('state', (c) => {
    if (c.reconnected) wake('reconnected');
  });
  const pumps = subs.map(async (sub) => {
    for await (const _event of sub) wake('event');
  });
  const onAbort = (): void => {
    const n = notify;
    notify = undefined;
    n?.();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal.aborted) {
      if (pending === undefined) {
        let timer: TimerHandle | undefined;
        await new Promise<void>((resolve) => {
          notify = resolve;
          timer = clock.setTimeout(() => wake('poll'), pollMs);
        });
        clock.clearTimeout(timer);
        if (signal.aborted) return;
      }
      const reason = pending ?? 'poll';
      pending = undefined;
      yield reason;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    offState?.();
    await Promise.all(subs.map((s) => s.close()));
    await Promise.all(pumps);
  }
}
