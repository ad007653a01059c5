/**
 * The login limiter (CORRECTIONS #5.14): two buckets, per client address and
 * per username; every attempt counts, successes too; time from the clock. A
 * fixed one-minute window per key, bounded in keys.
 */
export class TwoBucketLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly nowMs: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  private hit(key: string): boolean {
    const t = this.nowMs();
    let w = this.windows.get(key);
    if (!w || t - w.start >= 60_000) {
      if (!w && this.windows.size >= this.maxKeys) this.sweep(t);
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count <= this.perMinute;
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= 60_000) this.windows.delete(k);
    if (this.windows.size >= this.maxKeys) this.windows.clear();
  }

  /** Counts one attempt; false when either bucket is over its limit. */
  allow(address: string, username: string): boolean {
    const byAddress = this.hit(`a:${address}`);
    const byName = this.hit(`u:${username.toLowerCase()}`);
    return byAddress && byName;
  }

  /** Counts one attempt on a single key (e.g. webhook creation per user). */
  allowKey(key: string): boolean {
    return this.hit(`k:${key}`);
  }
}
