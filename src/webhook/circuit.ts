/**
 * The circuit breaker of one subscription (eventplane.md §4.6), as pure transitions over
 * the subscription's stored fields; the outbox applies them in the transaction that
 * records the attempt, so the database holds the truth across restarts.
 *
 * - An event counts once, when its row first turns `failed` or `dead`; a success resets
 *   the count. `DECNET_WEBHOOK_CIRCUIT_THRESHOLD` (5) consecutive counted events open the
 *   circuit: rows are still created but not attempted.
 * - After `DECNET_WEBHOOK_CIRCUIT_COOLDOWN_SECS` (600) it is half-open: one probe (the
 *   oldest due row). Success closes it and makes `failed` rows due at once; failure
 *   reopens it with a fresh cool-down.
 * - An admin closes it with `PATCH {enabled: true}` (the API does that, not this file).
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitFields {
  readonly state: CircuitState;
  /** Epoch ms it last opened; null while closed. */
  readonly openedAtMs: number | null;
  readonly consecutiveFailures: number;
}

export interface CircuitSettings {
  /** Counted events that open the circuit (≥ 1). */
  readonly threshold: number;
  /** Seconds open before the half-open probe. */
  readonly cooldownSecs: number;
}

/** What the dispatcher may do for a subscription now. */
export type Admission =
  /** Closed: up to the per-subscription limit. */
  | { readonly kind: 'normal' }
  /** Half-open: one probe at most; `opening` when this call moved it there (persist and log it). */
  | { readonly kind: 'probe'; readonly opening: boolean }
  /** Open, cooling down. */
  | { readonly kind: 'blocked' };

export interface Transition {
  readonly fields: CircuitFields;
  /** Set when the state changed (log it). */
  readonly changed?: CircuitState;
  /** The circuit closed after being open: make `failed` rows due now. */
  readonly releaseFailed?: boolean;
}

export class CircuitBreaker {
  constructor(private readonly settings: CircuitSettings) {}

  admission(fields: CircuitFields, nowMs: number): Admission {
    if (fields.state === 'closed') return { kind: 'normal' };
    if (fields.state === 'half_open') return { kind: 'probe', opening: false };
    const opened = fields.openedAtMs ?? 0;
    return nowMs >= opened + this.settings.cooldownSecs * 1000 ? { kind: 'probe', opening: true } : { kind: 'blocked' };
  }

  onSuccess(fields: CircuitFields): Transition {
    const closing = fields.state !== 'closed';
    return {
      fields: { state: 'closed', openedAtMs: null, consecutiveFailures: 0 },
      ...(closing ? { changed: 'closed' as const, releaseFailed: true } : {}),
    };
  }

  /** An attempt failed; `counted` when its row first turned failed or dead. */
  onFailure(fields: CircuitFields, counted: boolean, nowMs: number): Transition {
    const failures = fields.consecutiveFailures + (counted ? 1 : 0);
    if (fields.state === 'half_open') return { fields: { state: 'open', openedAtMs: nowMs, consecutiveFailures: failures }, changed: 'open' };
    if (fields.state === 'closed' && failures >= this.settings.threshold) return { fields: { state: 'open', openedAtMs: nowMs, consecutiveFailures: failures }, changed: 'open' };
    return { fields: { ...fields, consecutiveFailures: failures } };
  }
}
