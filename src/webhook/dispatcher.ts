/**
 * The dispatcher: runs attempts within the concurrency limits
 * (`DECNET_WEBHOOK_CONCURRENCY` in flight in all, `DECNET_WEBHOOK_PER_SUBSCRIPTION` per
 * subscription) and talks to the outbox in cycles, one transaction each.
 *
 * Rows are claimed a little ahead (up to QUEUE_FACTOR × the limits) into per-subscription
 * queues, so an attempt that ends is followed at once by the next, without waiting for
 * the database; results pile up while a cycle runs and are recorded together by the
 * next one. A claimed row that will not be tried (its subscription paused, deleted or
 * its circuit opened, the worker stopping, or its lease too near its end) is given back
 * untried. A cycle runs when attempts ended, when rows were created (`notify`), and on
 * a short poll (rows due later, replays, an admin's `enabled: true`), on the clock.
 *
 * Per-subscription ordering is not guaranteed: receivers order by `ts` (eventplane.md
 * §4.5). On stop it claims nothing new, gives queued rows back, lets attempts in flight
 * finish (each bounded by the exchange timeout), records them and returns.
 */
import type { Clock, Logger, TimerHandle } from '../bus/index.js';
import type { ClaimedDelivery, WebhookGate } from '../db/index.js';
import { attemptDelivery, describeError, type AttemptContext } from './delivery.js';
import { LEASE_MS, type Admitted, type AttemptResult, type ClaimBudget, type DeliveryOutbox } from './outbox.js';
import type { WebhookStats } from './stats.js';
import type { SubscriptionSet } from './subscriptions.js';

/** Rows held per subscription (and in all) as a multiple of the in-flight limits. */
export const QUEUE_FACTOR = 8;

export interface DispatcherOptions {
  readonly outbox: DeliveryOutbox;
  readonly subscriptions: SubscriptionSet;
  readonly attempt: AttemptContext;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: WebhookStats;
  readonly concurrency: number;
  readonly perSubscription: number;
  /** ms between cycles while nothing wakes the dispatcher. */
  readonly pollMs: number;
  /** Asked when a subscription's row changed since the snapshot was loaded. */
  readonly requestReload: () => void;
  /** Sees every finished attempt (benchmarks, tests). */
  readonly onAttempt?: (result: AttemptResult, elapsedMs: number) => void;
}

interface Queued {
  readonly row: ClaimedDelivery;
  /** Epoch ms it was claimed (its lease runs LEASE_MS from then). */
  readonly claimedAtMs: number;
}

export class Dispatcher {
  private readonly queues = new Map<string, Queued[]>();
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private queued = 0;
  private results: AttemptResult[] = [];
  private released: ClaimedDelivery[] = [];
  private wantClaim = true;
  private admitted: ReadonlyMap<string, Admitted> = new Map();
  private wake: (() => void) | undefined;
  private woken = false;
  private stopping = false;
  private turn = 0;

  constructor(private readonly opts: DispatcherOptions) {}

  /** Rows were created or made due: claim soon. */
  notify(): void {
    this.wantClaim = true;
    this.poke();
  }

  get inFlightCount(): number {
    return this.total;
  }

  /** Runs until `signal` aborts, then drains what is in flight. */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => this.poke();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (this.released.length > 0 || this.wantClaim || this.resultsDue()) await this.cycle(true);
        else await this.idle(true);
      }
      this.stopping = true;
      for (const q of this.queues.values()) this.released.push(...q.map((e) => e.row));
      this.queues.clear();
      this.queued = 0;
      while (this.total > 0 || this.results.length > 0 || this.released.length > 0) {
        if (this.results.length === 0 && this.released.length === 0) await this.idle(false);
        else await this.cycle(false);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Record results now, or let more pile up? While queued rows keep the attempts going,
   * waiting until half of what is held has finished makes one transaction record many
   * (on SQLite every commit costs WAL pages and, now and then, a checkpoint).
   */
  private resultsDue(): boolean {
    if (this.results.length === 0) return false;
    if (this.queued === 0) return true;
    return this.results.length >= Math.max(1, Math.floor((this.total + this.queued + this.results.length) / 2));
  }

  /** One cycle; a failure is logged and retried after the poll interval, keeping what it had to record. */
  private async cycle(claim: boolean): Promise<void> {
    const results = this.results;
    const released = this.released;
    this.results = [];
    this.released = [];
    this.wantClaim = false;
    const budget = claim ? this.budget() : undefined;
    try {
      const report = await this.opts.outbox.cycle(results, budget, released);
      this.opts.stats.recordCycle(report);
      if (claim) this.admit(report.admitted, report.claimed);
    } catch (err) {
      this.results = [...results, ...this.results];
      this.released = [...released, ...this.released];
      this.wantClaim = claim;
      this.opts.log.error({ err: describeError(err) }, 'webhook dispatch cycle failed; retrying');
      await this.opts.clock.sleep(this.opts.pollMs).catch(() => undefined);
      return;
    }
    this.pump();
  }

  /** Takes a cycle's claims into the queues and drops what may no longer be tried. */
  private admit(admitted: ReadonlyMap<string, Admitted>, claimed: readonly ClaimedDelivery[]): void {
    this.admitted = admitted;
    for (const [sub, q] of this.queues) {
      if (admitted.get(sub) === 'normal') continue;
      this.released.push(...q.map((e) => e.row)); // paused, deleted or circuit no longer closed
      this.queued -= q.length;
      this.queues.delete(sub);
    }
    const at = this.opts.clock.now();
    for (const row of claimed) {
      let q = this.queues.get(row.subscriptionId);
      if (!q) this.queues.set(row.subscriptionId, (q = []));
      q.push({ row, claimedAtMs: at });
      this.queued++;
    }
    // more due rows may wait behind a full claim: the cycles that record these rows' results claim them
  }

  private budget(): ClaimBudget {
    const { concurrency, perSubscription, subscriptions } = this.opts;
    let reload = false;
    return {
      free: concurrency * QUEUE_FACTOR - this.total - this.queued,
      freeFor: (gate: WebhookGate): number => {
        const active = subscriptions.get(gate.id);
        if (!active && subscriptions.unreadable(gate.id, gate.updatedAt)) return 0; // secret_unreadable: waits for a new secret
        if (!active || active.updatedAt !== gate.updatedAt) {
          // created, changed or re-keyed since the snapshot: sign nothing with stale data
          if (!reload) this.opts.requestReload();
          reload = true;
          return 0;
        }
        return perSubscription * QUEUE_FACTOR - this.held(gate.id);
      },
      held: (id: string): number => this.held(id),
    };
  }

  private held(id: string): number {
    return (this.inFlight.get(id) ?? 0) + (this.queues.get(id)?.length ?? 0);
  }

  /** Starts queued rows while the limits allow, taking subscriptions in turn. */
  private pump(): void {
    if (this.stopping) return;
    const { concurrency, perSubscription, attempt } = this.opts;
    // a row is started only while its lease outlasts one whole exchange
    const staleBefore = this.opts.clock.now() - (LEASE_MS - attempt.timeoutMs - 1000);
    let progressed = true;
    while (progressed && this.total < concurrency && this.queued > 0) {
      progressed = false;
      const subs = [...this.queues.keys()];
      for (let i = 0; i < subs.length && this.total < concurrency; i++) {
        const sub = subs[(this.turn + i) % subs.length] as string;
        const q = this.queues.get(sub);
        if (!q || q.length === 0 || (this.inFlight.get(sub) ?? 0) >= perSubscription) continue;
        if (this.admitted.get(sub) === 'probe' && (this.inFlight.get(sub) ?? 0) > 0) continue;
        const next = q.shift() as Queued;
        this.queued--;
        if (q.length === 0) this.queues.delete(sub);
        if (next.claimedAtMs < staleBefore) {
          this.released.push(next.row);
          this.poke();
        } else {
          this.start(next.row);
        }
        progressed = true;
      }
      this.turn++;
    }
  }

  private start(row: ClaimedDelivery): void {
    const sub = this.opts.subscriptions.get(row.subscriptionId);
    this.total++;
    this.inFlight.set(row.subscriptionId, (this.inFlight.get(row.subscriptionId) ?? 0) + 1);
    const began = performance.now();
    void (async (): Promise<void> => {
      const outcome = sub
        ? await attemptDelivery({ url: sub.url, secrets: sub.secrets, eventId: row.eventId, topic: row.topic, body: Buffer.from(row.body, 'utf8') }, this.opts.attempt)
        : ({ kind: 'retry', status: null, error: 'Error: subscription changed while claimed' } as const);
      const result: AttemptResult = { row, outcome, finishedAtMs: this.opts.clock.now() };
      this.opts.onAttempt?.(result, performance.now() - began);
      this.results.push(result);
    })().finally(() => {
      this.total--;
      const n = (this.inFlight.get(row.subscriptionId) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(row.subscriptionId);
      else this.inFlight.set(row.subscriptionId, n);
      this.pump();
      this.poke();
    });
  }

  private poke(): void {
    this.woken = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Waits for a poke (or, with `poll`, the poll interval, which also asks for a claim). */
  private async idle(poll: boolean): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    let timer: TimerHandle | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (poll)
        timer = this.opts.clock.setTimeout(() => {
          this.wantClaim = true;
          this.poke();
        }, this.opts.pollMs);
    });
    this.opts.clock.clearTimeout(timer);
    this.woken = false;
  }
}
