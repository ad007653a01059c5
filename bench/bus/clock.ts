/**
 * The bench's one time base: milliseconds on the machine's monotonic clock.
 *
 * A publisher stamps `t` and a subscriber in another process subtracts it from its own
 * reading, so both must read the same clock. `performance.timeOrigin + performance.now()`
 * does not do: the origin is a wall-clock sample taken at process start, and two
 * processes were seen to disagree by a few tenths of a millisecond (negative latencies).
 * `process.hrtime` reads CLOCK_MONOTONIC, which every process shares, and
 * `performance.now()` runs on that same clock from a per-process origin; one offset,
 * taken once, turns the cheap `performance.now()` into the shared reading.
 */
const origin = monotonicOrigin();

/**
 * hrtime − performance.now(), from the tightest of a few paired readings: on a loaded
 * machine the process can be descheduled between the two calls (by 100 ms was seen),
 * and a pair that straddles such a pause would skew every latency by as much.
 */
function monotonicOrigin(): number {
  let best = Number.POSITIVE_INFINITY;
  let origin = 0;
  for (let i = 0; i < 25; i++) {
    const before = performance.now();
    const hr = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      origin = hr - (before + after) / 2;
    }
  }
  return origin;
}

/** Monotonic milliseconds with a sub-microsecond fraction, comparable across processes. */
export function nowMs(): number {
  return origin + performance.now();
}

/** Epoch milliseconds minus `nowMs()`: turns a bench stamp into a plausible envelope `ts`. */
export const EPOCH_SHIFT_MS = Date.now() - nowMs();

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
