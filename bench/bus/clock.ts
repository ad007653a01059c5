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
const origin = Number(process.hrtime.bigint()) / 1e6 - performance.now();

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
