/**
 * The line filters of eventplane.md §8.5. Filtered lines are counted, not stored, and a
 * file's offset moves past them.
 *
 * - **Drop list** (`DECNET_INGEST_DROP_APPS`): rows whose APP-NAME (service) is listed,
 *   compared exactly (the default lists `CRON` and `cron`).
 * - **Noise limiter** (`DECNET_INGEST_RL_EVENT_TYPES`, `…_RL_WINDOW_SEC`): one line per
 *   (attacker_ip, decky, service, event_type) per window, for the listed event types; 0
 *   disables it. The window runs on the lines' own timestamps, so a replayed file gives
 *   the same rows however fast it is read. At most `maxKeys` keys are kept: stale ones
 *   are collected first, then the oldest, down to 90 %.
 */
import type { LogRecord } from './record.js';

export { DEFAULT_DROP_APPS, DEFAULT_RL_EVENT_TYPES } from '../config/ingest.js';

export const DEFAULT_RL_MAX_KEYS = 10_000;

export interface FilterOptions {
  readonly dropApps: readonly string[];
  readonly rlEventTypes: readonly string[];
  /** Seconds; 0 disables the limiter. */
  readonly rlWindowSec: number;
  readonly maxKeys?: number;
}

export type FilterVerdict = 'keep' | 'dropped_app' | 'rate_limited';

export class LineFilter {
  private readonly drop: ReadonlySet<string>;
  private readonly limited: ReadonlySet<string>;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  /** key → time (ms) of the last line kept. */
  private readonly last = new Map<string, number>();
  private newest = Number.NEGATIVE_INFINITY;

  constructor(opts: FilterOptions) {
    this.drop = new Set(opts.dropApps);
    this.limited = new Set(opts.rlEventTypes);
    this.windowMs = opts.rlWindowSec * 1000;
    this.maxKeys = opts.maxKeys ?? DEFAULT_RL_MAX_KEYS;
  }

  /** Keys the limiter holds (for tests and the heartbeat). */
  get keys(): number {
    return this.last.size;
  }

  verdict(record: LogRecord): FilterVerdict {
    if (record.service !== null && this.drop.has(record.service)) return 'dropped_app';
    if (this.windowMs <= 0 || record.eventType === null || !this.limited.has(record.eventType)) return 'keep';
    const key = `${record.attackerIp ?? ''}\u0000${record.decky ?? ''}\u0000${record.service ?? ''}\u0000${record.eventType}`;
    const t = Date.parse(record.timestamp);
    const previous = this.last.get(key);
    if (previous !== undefined && Math.abs(t - previous) < this.windowMs) return 'rate_limited';
    this.last.delete(key);
    this.last.set(key, t);
    if (t > this.newest) this.newest = t;
    if (this.last.size > this.maxKeys) this.collect();
    return 'keep';
  }

  private collect(): void {
    const horizon = this.newest - this.windowMs;
    for (const [key, t] of this.last) if (t <= horizon) this.last.delete(key);
    // evict down to 90 % so the scan above runs once per many inserts, not per insert
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.last.keys()) {
      if (this.last.size <= target) break;
      this.last.delete(key);
    }
  }
}
