/**
 * `DeliveryOutbox`: the worker's side of the outbox table (eventplane.md §4.3–§4.6).
 *
 * - Rows are created before anything is sent, one per (subscription, event) however
 *   many patterns match; the unique key makes creation idempotent.
 * - A dispatcher cycle is ONE transaction: it records the attempts that finished since
 *   the last cycle (failures through the retry schedule, and the circuit transitions
 *   they cause), gives back claimed rows the dispatcher will not try, then claims due
 *   rows up to what the dispatcher may hold, rotating across subscriptions so none
 *   starves. Batching is what makes the throughput target reachable on SQLite, where
 *   every transaction takes the file's write lock.
 * - Leases carry `locked_by = host:pid:start`. At start the worker returns its own
 *   host's rows whose process is gone; any lease past `locked_until` returns to
 *   `pending` (attempts already counted).
 */
import { randomUUID } from 'node:crypto';
import { isoFromEpochMs, type Clock, type Logger } from '../bus/index.js';
import type { ClaimedDelivery, Db, FailureRecord, NewDelivery, WebhookGate, WriteTx } from '../db/index.js';
import { webhookBody, type BodyEvent } from './body.js';
import type { CircuitBreaker, CircuitFields, CircuitState } from './circuit.js';
import type { AttemptOutcome } from './delivery.js';
import type { RetrySchedule } from './schedule.js';

/** A row not final this long after creation (or replay) becomes `dead` (`expired`), ms. */
export const ROW_EXPIRY_MS = 24 * 3_600_000;
/** Lease of a claimed row, ms (≥ the 10 s exchange timeout, with room). */
export const LEASE_MS = 30_000;

/** Which subscriptions a topic reaches. */
export interface TopicMatcher {
  matching(topic: string): ReadonlySet<string>;
}

export interface AttemptResult {
  readonly row: ClaimedDelivery;
  readonly outcome: AttemptOutcome;
  /** Epoch ms the attempt ended (next attempts are scheduled from here). */
  readonly finishedAtMs: number;
}

/** What the dispatcher can take on now (rows it holds: in flight or queued). */
export interface ClaimBudget {
  /** Rows it may take on in all. */
  readonly free: number;
  /** Rows it may take on for one subscription (0 for one it cannot sign for yet). */
  freeFor(gate: WebhookGate): number;
  /** Rows of the subscription it holds (in flight or queued). */
  held(subscriptionId: string): number;
}

/** How a subscription may be attempted after this cycle: absent = not at all (paused, deleted, open). */
export type Admitted = 'normal' | 'probe';

export interface CircuitChange {
  readonly subscriptionId: string;
  readonly to: CircuitState;
}

export interface CycleReport {
  readonly claimed: ClaimedDelivery[];
  /** Per enabled subscription, after this cycle's results (only when claiming). */
  readonly admitted: ReadonlyMap<string, Admitted>;
  readonly changes: CircuitChange[];
  readonly succeeded: number;
  readonly retried: number;
  readonly dead: number;
}

export interface OutboxOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  /** `host:pid:start` of this worker. */
  readonly lockId: string;
  readonly schedule: RetrySchedule;
  readonly circuit: CircuitBreaker;
}

function fieldsOf(gate: WebhookGate): CircuitFields {
  return { state: gate.circuitState, openedAtMs: gate.circuitOpenedAt === null ? null : Date.parse(gate.circuitOpenedAt), consecutiveFailures: gate.consecutiveFailures };
}

export class DeliveryOutbox {
  private rotation = 0;

  constructor(private readonly opts: OutboxOptions) {}

  /** Builds rows for `events` (bodies built once per event) for the subscriptions each reaches. */
  rowsFor(events: readonly BodyEvent[], matcher: TopicMatcher): NewDelivery[] {
    const rows: NewDelivery[] = [];
    for (const event of events) {
      const subs = matcher.matching(event.topic);
      if (subs.size === 0) continue;
      const body = webhookBody(event);
      for (const subscriptionId of subs) rows.push({ id: randomUUID(), subscriptionId, eventId: event.id, topic: event.topic, body });
    }
    return rows;
  }

  /** Inserts rows in the caller's transaction; returns how many were new. */
  insert(tx: WriteTx, rows: readonly NewDelivery[]): Promise<number> {
    if (rows.length === 0) return Promise.resolve(0);
    const now = this.opts.clock.now();
    return this.opts.db.repos.webhookDeliveries.insertMany(tx, rows, isoFromEpochMs(now), isoFromEpochMs(now + ROW_EXPIRY_MS));
  }

  /**
   * One dispatcher cycle: record `results`, give back `released` rows (claimed, never
   * tried), then claim within `budget` (nothing when it is undefined: stopping).
   */
  async cycle(results: readonly AttemptResult[], budget: ClaimBudget | undefined, released: readonly ClaimedDelivery[] = []): Promise<CycleReport> {
    const { db, lockId, clock } = this.opts;
    const report = await db.write(async (tx) => {
      const recorded = results.length > 0 ? await this.record(tx, results) : { changes: [], succeeded: 0, retried: 0, dead: 0 };
      if (released.length > 0) await db.repos.webhookDeliveries.unclaim(tx, released, lockId, isoFromEpochMs(clock.now()));
      const claim = budget ? await this.claim(tx, budget, recorded.changes) : { claimed: [], admitted: new Map<string, Admitted>() };
      return { ...recorded, ...claim };
    });
    for (const c of report.changes) this.opts.log.info({ webhook: c.subscriptionId, circuit: c.to }, `webhook circuit ${c.to === 'half_open' ? 'half-open: probing' : c.to}`);
    return report;
  }

  private async record(tx: WriteTx, results: readonly AttemptResult[]): Promise<Omit<CycleReport, 'claimed' | 'admitted'>> {
    const { db, schedule, circuit, lockId } = this.opts;
    const subIds = [...new Set(results.map((r) => r.row.subscriptionId))];
    const fields = new Map((await db.repos.webhookSubscriptions.gates(tx, subIds)).map((g) => [g.id, fieldsOf(g)]));
    const health = new Map<string, { lastSuccessAt?: string; lastFailureAt?: string; lastError?: string }>();
    const succeeded: string[] = [];
    const statuses = new Map<string, number>();
    const failures: FailureRecord[] = [];
    const changes: CircuitChange[] = [];
    const release = new Set<string>();
    let dead = 0;
    for (const { row, outcome, finishedAtMs } of results) {
      const sub = row.subscriptionId;
      const at = isoFromEpochMs(finishedAtMs);
      const h = health.get(sub) ?? {};
      health.set(sub, h);
      const current = fields.get(sub);
      let transition;
      if (outcome.kind === 'ok') {
        succeeded.push(row.id);
        statuses.set(row.id, outcome.status);
        h.lastSuccessAt = at;
        transition = current && circuit.onSuccess(current);
      } else {
        const step = outcome.kind === 'fatal' ? { state: 'dead' as const, nextAttemptAtMs: null } : schedule.afterRetryable(row.attempts, finishedAtMs, outcome.retryAfterMs);
        if (step.state === 'dead') dead++;
        failures.push({ id: row.id, state: step.state, nextAttemptAt: isoFromEpochMs(step.nextAttemptAtMs ?? finishedAtMs), lastStatus: outcome.status, lastError: outcome.error });
        h.lastFailureAt = at;
        h.lastError = outcome.error;
        const counted = schedule.beforeFirstFailure(row.attempts) && step.state !== 'pending';
        transition = current && circuit.onFailure(current, counted, finishedAtMs);
      }
      if (!transition) continue; // the subscription was deleted meanwhile
      fields.set(sub, transition.fields);
      if (transition.changed) changes.push({ subscriptionId: sub, to: transition.changed });
      if (transition.releaseFailed) release.add(sub);
    }
    const now = isoFromEpochMs(this.opts.clock.now());
    const deliveries = db.repos.webhookDeliveries;
    await deliveries.markSucceeded(tx, succeeded, lockId, statuses, now);
    for (const f of failures) await deliveries.markFailed(tx, f, lockId, now);
    for (const [sub, f] of fields) {
      await db.repos.webhookSubscriptions.recordHealth(tx, sub, {
        circuitState: f.state,
        circuitOpenedAt: f.openedAtMs === null ? null : isoFromEpochMs(f.openedAtMs),
        consecutiveFailures: f.consecutiveFailures,
        ...health.get(sub),
      });
    }
    for (const sub of release) await deliveries.makeDue(tx, sub, now, 'failed');
    return { changes, succeeded: succeeded.length, retried: failures.length - dead, dead };
  }

  private async claim(tx: WriteTx, budget: ClaimBudget, changes: CircuitChange[]): Promise<{ claimed: ClaimedDelivery[]; admitted: Map<string, Admitted> }> {
    const { db, circuit, lockId, clock } = this.opts;
    const nowMs = clock.now();
    const now = isoFromEpochMs(nowMs);
    const lockedUntil = isoFromEpochMs(nowMs + LEASE_MS);
    const gates = await db.repos.webhookSubscriptions.gates(tx);
    const claimed: ClaimedDelivery[] = [];
    const admitted = new Map<string, Admitted>();
    if (gates.length === 0) return { claimed, admitted };
    const start = this.rotation++ % gates.length;
    let free = budget.free;
    for (let i = 0; i < gates.length; i++) {
      const gate = gates[(start + i) % gates.length] as WebhookGate;
      const admission = circuit.admission(fieldsOf(gate), nowMs);
      if (admission.kind === 'blocked') continue;
      admitted.set(gate.id, admission.kind);
      let limit = Math.min(free, budget.freeFor(gate));
      if (limit <= 0) continue;
      let order: 'due' | 'oldest' = 'due';
      if (admission.kind === 'probe') {
        if (budget.held(gate.id) > 0) continue; // one probe at a time
        limit = 1;
        order = 'oldest';
        if (admission.opening) {
          await db.repos.webhookSubscriptions.recordHealth(tx, gate.id, { circuitState: 'half_open', circuitOpenedAt: gate.circuitOpenedAt, consecutiveFailures: gate.consecutiveFailures });
          changes.push({ subscriptionId: gate.id, to: 'half_open' });
        }
      }
      const rows = await db.repos.webhookDeliveries.claim(tx, { subscriptionId: gate.id, limit, now, lockedBy: lockId, lockedUntil, order });
      claimed.push(...rows);
      free -= rows.length;
    }
    return { claimed, admitted };
  }

  /** At start: return rows leased by earlier instances of this worker on this host whose process is gone. */
  async releaseOrphans(isOurDeadInstance: (holder: string) => boolean): Promise<number> {
    const { db, clock } = this.opts;
    const holders = (await db.repos.webhookDeliveries.lockHolders()).filter(isOurDeadInstance);
    if (holders.length === 0) return 0;
    return db.write((tx) => db.repos.webhookDeliveries.releaseLeases(tx, { holders }, isoFromEpochMs(clock.now())));
  }

  /** Periodic: expired leases of other holders back to pending, expired rows to dead. */
  async maintain(): Promise<{ released: number; expired: number }> {
    const { db, clock, lockId } = this.opts;
    const now = isoFromEpochMs(clock.now());
    return db.write(async (tx) => ({
      released: await db.repos.webhookDeliveries.releaseLeases(tx, { expiredBefore: now, except: lockId }, now),
      expired: await db.repos.webhookDeliveries.expire(tx, now),
    }));
  }

  /** Retention: succeeded rows after `succeededDays`, dead ones after `deadDays`. */
  async prune(succeededDays: number, deadDays: number): Promise<number> {
    const { db, clock } = this.opts;
    const now = clock.now();
    return db.write((tx) => db.repos.webhookDeliveries.prune(tx, isoFromEpochMs(now - succeededDays * 86_400_000), isoFromEpochMs(now - deadDays * 86_400_000)));
  }
}
