/**
 * The retry schedule (eventplane.md §4.5): the first attempt at once, fast retries
 * (`DECNET_WEBHOOK_FAST_RETRY_SECS`, 1, 2, 4 s) while the row stays `pending`, then the
 * durable schedule (`DECNET_WEBHOOK_DURABLE_RETRY_SECS`, 30 s, 5 min, 30 min, 2 h, 6 h)
 * as `failed`, each delay ×U[0.8, 1.2]; after the last attempt the row is `dead`.
 * With the defaults: nine attempts over about 8 h 36 min.
 *
 * A `Retry-After` (on 429 and 503) sets the earliest next attempt, capped at
 * `DECNET_WEBHOOK_RETRY_AFTER_MAX_SECS` (1 h).
 */

export interface RetrySettings {
  /** Delays after attempts 1, 2, … while the row is `pending` (seconds). */
  readonly fastRetrySecs: readonly number[];
  /** Delays after the fast retries, the row `failed` (seconds). */
  readonly durableRetrySecs: readonly number[];
  /** Cap on a receiver's Retry-After (seconds). */
  readonly retryAfterMaxSecs: number;
}

/** What an attempt's failure leads to. */
export interface FailureStep {
  readonly state: 'pending' | 'failed' | 'dead';
  /** Epoch ms of the next attempt; null when dead. */
  readonly nextAttemptAtMs: number | null;
}

export class RetrySchedule {
  constructor(
    private readonly settings: RetrySettings,
    /** U[0, 1) for the jitter; tests inject a constant. */
    private readonly random: () => number = Math.random,
  ) {}

  /** Attempts a row gets before it is dead. */
  get maxAttempts(): number {
    return 1 + this.settings.fastRetrySecs.length + this.settings.durableRetrySecs.length;
  }

  /**
   * Was the row still in its first phase (never `failed`) when attempt `n` (1-based) was
   * made? The circuit breaker counts an event once, when its row first turns
   * `failed` or `dead` (§4.6), which is exactly a failure of such an attempt.
   */
  beforeFirstFailure(attempt: number): boolean {
    return attempt <= 1 + this.settings.fastRetrySecs.length;
  }

  /** After attempt `n` failed in a way worth retrying, at `nowMs`. */
  afterRetryable(attempt: number, nowMs: number, retryAfterMs?: number): FailureStep {
    const { fastRetrySecs: fast, durableRetrySecs: durable } = this.settings;
    let state: 'pending' | 'failed';
    let delaySecs: number | undefined;
    if (attempt <= fast.length) {
      state = 'pending';
      delaySecs = fast[attempt - 1];
    } else {
      state = 'failed';
      delaySecs = durable[attempt - 1 - fast.length];
    }
    if (delaySecs === undefined) return { state: 'dead', nextAttemptAtMs: null };
    let next = nowMs + delaySecs * 1000 * (0.8 + 0.4 * this.random());
    if (retryAfterMs !== undefined) next = Math.max(next, nowMs + Math.min(retryAfterMs, this.settings.retryAfterMaxSecs * 1000));
    return { state, nextAttemptAtMs: Math.round(next) };
  }
}

/** A `Retry-After` value (delay seconds or an HTTP date) as ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
