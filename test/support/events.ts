/**
 * Test helpers for reading subscriptions without hanging a run: every wait has
 * a generous safety limit that fails the test (it is not a timing assertion).
 */
import type { BusEvent, Subscription } from '../../src/bus/index.js';

export const SAFETY_MS = 10_000;

/** Takes exactly `n` events from `sub`, failing if they do not come. */
export async function take(sub: Subscription, n: number, safetyMs = SAFETY_MS): Promise<BusEvent[]> {
  const out: BusEvent[] = [];
  if (n === 0) return out;
  const it = sub[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took ${out.length} of ${n} events on ${sub.pattern} before the safety limit`)), safetyMs);
  });
  try {
    while (out.length < n) {
      const r = await Promise.race([it.next(), limit]);
      if (r.done) throw new Error(`subscription ${sub.pattern} ended after ${out.length} of ${n} events`);
      out.push(r.value);
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

/** Collects what is left in `sub` until it ends (call after closing it or its bus). */
export async function drain(sub: Subscription): Promise<BusEvent[]> {
  const out: BusEvent[] = [];
  for await (const ev of sub) out.push(ev);
  return out;
}

/** Polls `cond` until it holds, failing after the safety limit. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, safetyMs = SAFETY_MS): Promise<void> {
  const deadline = Date.now() + safetyMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
