/**
 * Reconnect backoff (spec/bus.md §4.4): 100 ms doubling to 5 s, with ±20 %
 * jitter so that clients cut at the same moment do not return in lockstep.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 5000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay (ms). */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
