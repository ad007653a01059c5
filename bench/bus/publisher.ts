/**
 * The publisher's loop, shared by every transport and client: publish for a while,
 * either as fast as possible (the saturated rate) or paced to an offered rate, and in
 * both cases never more than `window` events ahead of the slowest subscriber.
 *
 * Why a window: the broker drops the oldest frames of a subscriber whose queue is full
 * (bus.md §3.6), and so do the clients' bounded queues. A subscriber that keeps up
 * must see no loss, so the publisher waits for credit (the highest sequence every
 * subscriber has seen) instead of filling those queues. Credit counts sequences, not
 * events, so a lost event never stalls the window: loss is measured, not hidden.
 */
import { nextTurn, nowMs, sleep } from './clock.js';

/** One transport's way of sending the bench events. */
export interface PubSink {
  /** Sends one event of `phase` with sequence `seq`, stamped `t` (epoch ms). */
  send(phase: number, seq: number, t: number): void;
  /** End of a burst: resolves when the transport takes more (socket backpressure), undefined when it has no such signal. */
  flush(): Promise<void> | undefined;
  close(): Promise<void>;
}

/** Where the publisher learns how far the slowest subscriber got. */
export interface Credit {
  /** Sequences of `phase` every subscriber has seen (all below it arrived or were lost). */
  seen(phase: number): number;
  /** Resolves when credit may have grown, or after `ms`. */
  wait(ms: number): Promise<void>;
}

export interface RunPlan {
  readonly phase: number;
  /** How long to publish (ms). */
  readonly durationMs: number;
  /** Stop after this many events (null: only the duration counts). */
  readonly maxEvents: number | null;
  /** Events/s this publisher offers; null publishes as fast as the window allows. */
  readonly ratePerS: number | null;
  /** Events in flight at most; null disables flow control (the flood of the memory test). */
  readonly window: number | null;
}

export interface RunResult {
  readonly published: number;
  /** When the run started and ended (ms, clock.ts): the span it was publishing or waiting to. */
  readonly t0: number;
  readonly t1: number;
  /**
   * The steady state of a publisher held back by its window: events published after
   * the window first filled, and when that was. The first burst fills the window at
   * once, which would inflate a rate taken over a short phase. Null when the window
   * never filled in the first half of the run (the subscribers kept ahead).
   */
  readonly steady: { readonly published: number; readonly since: number } | null;
}

/** Events per burst when publishing as fast as possible. */
const BURST = 512;
/** A paced publisher wakes up every millisecond and sends what is due. */
const PACE_TICK_MS = 1;

export async function runPublisher(sink: PubSink, plan: RunPlan, credit: Credit): Promise<RunResult> {
  const { phase, durationMs, ratePerS, window } = plan;
  const maxEvents = plan.maxEvents ?? Number.MAX_SAFE_INTEGER;
  const t0 = nowMs();
  let seq = 0;
  let full: { seq: number; t: number } | undefined;
  for (;;) {
    const now = nowMs();
    const elapsed = now - t0;
    if (elapsed >= durationMs || seq >= maxEvents) break;
    const room = window === null ? BURST : window - (seq - credit.seen(phase));
    if (room <= 0 && full === undefined) full = { seq, t: now };
    const due = ratePerS === null ? BURST : Math.floor(((elapsed + PACE_TICK_MS) * ratePerS) / 1000) - seq;
    const n = Math.min(room, due, BURST * 8, maxEvents - seq);
    if (n <= 0) {
      if (room <= 0) await credit.wait(5);
      else await sleep(PACE_TICK_MS);
      continue;
    }
    for (let i = 0; i < n; i++) sink.send(phase, seq++, nowMs());
    const pushedBack = sink.flush();
    if (pushedBack) await pushedBack;
    if (ratePerS === null) await nextTurn();
    else await sleep(PACE_TICK_MS);
  }
  const t1 = nowMs();
  const steady = full !== undefined && full.t - t0 < (t1 - t0) / 2 ? { published: seq - full.seq, since: full.t } : null;
  return { published: seq, t0, t1, steady };
}
