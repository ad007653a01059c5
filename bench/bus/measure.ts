/**
 * From what publishers and subscribers report about one phase to the figures of a row:
 * rates, loss and latency percentiles. Shared by the multi-process runs and the
 * in-process memory run, so every transport is scored the same way.
 */
import { percentile, round } from '../harness.js';
import type { RunResult } from './publisher.js';
import type { PhaseSummary } from './tally.js';

export interface PhaseFigures {
  /**
   * Events all publishers sent per second, from the first publish to the last. In a
   * saturated phase this includes filling the window once at the start, a small excess
   * (window ÷ phase length) that the delivered rate does not have.
   */
  readonly published_per_s: number;
  /** Deliveries to all subscribers per second, from the first publish to the last arrival. */
  readonly delivered_per_s: number;
  /** 1 − delivered / (published × fan-out). */
  readonly loss: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly published: number;
  readonly delivered: number;
}

export function phaseFigures(pubs: readonly RunResult[], subs: readonly PhaseSummary[]): PhaseFigures {
  const published = pubs.reduce((a, r) => a + r.published, 0);
  const delivered = subs.reduce((a, s) => a + s.count, 0);
  const t0 = Math.min(...pubs.map((r) => r.t0));
  const t1 = Math.max(...pubs.map((r) => r.t1));
  const lastAt = Math.max(...subs.map((s) => s.lastAt));
  const expected = published * subs.length;
  const samples: number[] = [];
  for (const s of subs) for (const v of s.samples) samples.push(v);
  return {
    published_per_s: Math.round(published / (Math.max(t1 - t0, 1e-3) / 1000)),
    delivered_per_s: delivered === 0 ? 0 : Math.round(delivered / (Math.max(lastAt - t0, 1e-3) / 1000)),
    loss: expected === 0 ? 0 : round(1 - delivered / expected, 6),
    p50_ms: round(percentile(samples, 50), 3),
    p99_ms: round(percentile(samples, 99), 3),
    published,
    delivered,
  };
}

/** Drain: polls `count()` until it reaches `expected` or stops moving for `quietMs`. */
export async function awaitDelivered(count: () => Promise<number>, expected: number, quietMs: number, maxMs: number): Promise<number> {
  const start = performance.now();
  let last = -1;
  let movedAt = start;
  for (;;) {
    const n = await count();
    const now = performance.now();
    if (n >= expected || now - start > maxMs) return n;
    if (n !== last) {
      last = n;
      movedAt = now;
    } else if (now - movedAt > quietMs) {
      return n;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
