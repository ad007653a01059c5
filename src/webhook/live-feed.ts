/**
 * Non-journaled topics into the outbox (eventplane.md §4.3, CORRECTIONS #6.8): straight
 * from the bus while the worker runs, inserted in small batches (100 rows or 50 ms).
 * This is at-most-once by design: an event published while the worker is down, or
 * dropped by a full queue, is never delivered; operators who need every event
 * subscribe to journaled topics. Journaled topics arriving here are ignored (the
 * journal feed owns them).
 *
 * `sync()` follows the subscription snapshot: one bus subscription per distinct
 * pattern not wholly inside the journaled set.
 */
import { covers, type Bus, type BusEvent, type Clock, type Logger, type Subscription, type TimerHandle } from '../bus/index.js';
import type { Db } from '../db/index.js';
import type { BodyEvent } from './body.js';
import { describeError } from './delivery.js';
import type { DeliveryOutbox } from './outbox.js';
import type { WebhookStats } from './stats.js';
import type { SubscriptionSet } from './subscriptions.js';

export interface LiveFeedOptions {
  readonly bus: Bus;
  readonly db: Db;
  readonly outbox: DeliveryOutbox;
  readonly subscriptions: SubscriptionSet;
  /** The journaled set (DECNET_DURABLE_TOPICS). */
  readonly durableTopics: readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: WebhookStats;
  readonly onRows: () => void;
  /** Rows per insert (100). */
  readonly maxBatch?: number;
  /** Longest an event waits for its batch, ms (50). */
  readonly maxWaitMs?: number;
  /** Events held while the database is slow; the oldest are dropped past it. */
  readonly maxBuffered?: number;
}

export class LiveFeed {
  private readonly subs = new Map<string, Subscription>();
  private readonly pumps = new Set<Promise<void>>();
  private buffer: BodyEvent[] = [];
  /** Rows the buffered events make (one per matching subscription). */
  private bufferedRows = 0;
  private readonly seen = new Set<string>();
  private timer: TimerHandle | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: LiveFeedOptions) {}

  /** Patterns this feed listens to for the current snapshot. */
  livePatterns(): string[] {
    const durable = this.opts.durableTopics;
    return this.opts.subscriptions.patterns().filter((p) => !durable.some((d) => covers(d, p)));
  }

  /** Adds and removes bus subscriptions to match the snapshot. */
  sync(): void {
    if (this.closed) return;
    const wanted = new Set(this.livePatterns());
    for (const [pattern, sub] of this.subs) {
      if (!wanted.has(pattern)) {
        this.subs.delete(pattern);
        void sub.close();
      }
    }
    for (const pattern of wanted) {
      if (this.subs.has(pattern)) continue;
      const sub = this.opts.bus.subscribe(pattern, { queue: 10_000 });
      this.subs.set(pattern, sub);
      const pump = (async () => {
        for await (const event of sub) this.add(event);
      })().catch((err: unknown) => this.opts.log.warn({ pattern, err: describeError(err) }, 'webhook live subscription ended'));
      this.pumps.add(pump);
      void pump.finally(() => this.pumps.delete(pump));
    }
  }

  /** Resolves when every live subscription routes (tests). */
  async ready(): Promise<void> {
    await Promise.all([...this.subs.values()].map((s) => s.ready));
  }

  /** Stops listening and writes what is buffered. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subs.values()].map((s) => s.close()));
    this.subs.clear();
    await Promise.all(this.pumps);
    this.opts.clock.clearTimeout(this.timer);
    await this.flush();
  }

  private add(event: BusEvent): void {
    if (this.opts.durableTopics.some((d) => covers(d, event.topic))) return; // the journal feed's
    if (this.seen.has(event.id)) return; // overlapping patterns: one copy per subscription
    const reached = this.opts.subscriptions.matching(event.topic).size;
    if (reached === 0) return;
    this.seen.add(event.id);
    this.bufferedRows += reached;
    this.buffer.push({ id: event.id, topic: event.topic, type: event.type, ts: event.ts, payload: event.payload });
    const max = this.opts.maxBuffered ?? 10_000;
    if (this.buffer.length > max) {
      const dropped = this.buffer.splice(0, this.buffer.length - max);
      for (const e of dropped) this.seen.delete(e.id);
      this.opts.stats.liveDropped += dropped.length;
    }
    if (this.bufferedRows >= (this.opts.maxBatch ?? 100)) void this.flush();
    else this.timer ??= this.opts.clock.setTimeout(() => void this.flush(), this.opts.maxWaitMs ?? 50);
  }

  /** Inserts the buffered events' rows (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.buffer;
    this.buffer = [];
    this.bufferedRows = 0;
    for (const e of events) this.seen.delete(e.id);
    if (events.length === 0) return;
    const { db, outbox, subscriptions, stats, log } = this.opts;
    try {
      const rows = outbox.rowsFor(events, subscriptions);
      const created = await db.write((tx) => outbox.insert(tx, rows));
      stats.rowsCreated += created;
      if (created > 0) this.opts.onRows();
    } catch (err) {
      stats.liveDropped += events.length;
      log.warn({ events: events.length, err: describeError(err) }, 'webhook live events could not be stored; they are not delivered (at-most-once)');
    }
  }
}
