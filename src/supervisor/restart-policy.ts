/**
 * When to restart a worker that ended without being asked (eventplane.md §2):
 * backoff 1 s doubling to 30 s with ±20 % jitter, reset after 60 s up; five
 * crashes within five minutes hold it `failed` until someone starts it.
 */
export interface RestartPolicyOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly resetAfterMs?: number;
  readonly crashLimit?: number;
  readonly crashWindowMs?: number;
  readonly random?: () => number;
}

export class RestartPolicy {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private readonly crashLimit: number;
  private readonly crashWindowMs: number;
  private readonly random: () => number;
  private attempt = 0;
  private crashes: number[] = [];

  constructor(opts: RestartPolicyOptions = {}) {
    this.initialMs = opts.initialMs ?? 1000;
    this.maxMs = opts.maxMs ?? 30_000;
    this.resetAfterMs = opts.resetAfterMs ?? 60_000;
    this.crashLimit = opts.crashLimit ?? 5;
    this.crashWindowMs = opts.crashWindowMs ?? 5 * 60_000;
    this.random = opts.random ?? Math.random;
  }

  /**
   * Records a crash at `nowMs` of a run that started at `startedMs`; returns the
   * delay before the next start (ms), or undefined when the worker must be held failed.
   */
  onCrash(nowMs: number, startedMs: number): number | undefined {
    if (nowMs - startedMs >= this.resetAfterMs) this.attempt = 0;
    this.crashes = this.crashes.filter((t) => nowMs - t < this.crashWindowMs);
    this.crashes.push(nowMs);
    if (this.crashes.length >= this.crashLimit) return undefined;
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  /** A manual start forgives the past. */
  reset(): void {
    this.attempt = 0;
    this.crashes = [];
  }
}
