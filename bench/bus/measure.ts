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
   * Events all publishers sent per second: each publisher's steady rate (after its
   * window first filled; see RunResult.steady), else its rate from first to last publish.
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
  /** The smallest latency sampled (ms): below zero, the processes' clocks disagree. */
  readonly min_ms: number;
}

export function phaseFigures(pubs: readonly RunResult[], subs: readonly PhaseSummary[]): PhaseFigures {
  const published = pubs.reduce((a, r) => a + r.published, 0);
  const delivered = subs.reduce((a, s) => a + s.count, 0);
  const t0 = Math.min(...pubs.map((r) => r.t0));
  const lastAt = Math.max(...subs.map((s) => s.lastAt));
  const expected = published * subs.length;
  const samples: number[] = [];
  let min = Number.POSITIVE_INFINITY;
  for (const s of subs) {
    for (const v of s.samples) {
      samples.push(v);
      if (v < min) min = v;
    }
  }
  return {
    published_per_s: Math.round(pubs.reduce((a, r) => a + publishRate(r), 0)),
    delivered_per_s: delivered === 0 ? 0 : Math.round(delivered / (Math.max(lastAt - t0, 1e-3) / 1000)),
    loss: expected === 0 ? 0 : round(1 - delivered / expected, 6),
    p50_ms: round(percentile(samples, 50), 3),
    p99_ms: round(percentile(samples, 99), 3),
    published,
    delivered,
    min_ms: samples.length === 0 ? 0 : round(min, 3),
  };
}

/** One publisher's rate (events/s). */
function publishRate(r: RunResult): number {
  const s = r.steady;
  return s ? s.published / ((r.t1 - s.since) / 1000) : r.published / (Math.max(r.t1 - r.t0, 1e-3) / 1000);
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
