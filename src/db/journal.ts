/**
 * Producing journaled events (eventplane.md §1.5, CORRECTIONS #5.6): `journalAndPublish`
 * mints the envelope, stores it in the caller's transaction next to the rows it
 * describes, and publishes the same id, ts and type after the commit. For journaled
 * topics the journal row is the truth; the live copy only wakes consumers.
 *
 * Also the retention pass the API runs hourly.
 */
import { prepareEvent, withPayloadText, type Bus, type Clock, type Logger, type PayloadOf, type TimerHandle } from '../bus/index.js';
import type { Db } from './database.js';
import { insertJournalRow, storedPayloadText } from './repositories/journal.js';
import type { WriteTx } from './unit-of-work.js';

export interface JournalAndPublishOptions {
  /** Envelope type; defaults to the catalogue's (strict mode refuses a different one). */
  readonly type?: string;
  /** Overrides the database's strictPayloads (DECNET_BUS_STRICT) for this call. */
  readonly strict?: boolean;
}

export interface JournaledEvent {
  readonly id: string;
  /** Epoch seconds. */
  readonly ts: number;
  readonly seq: number;
}

/**
 * Journals `payload` on `topic` in `tx` and publishes it after the commit (nothing on
 * rollback). The event is checked and serialised once, as the bus would at publish
 * (topic, JSON, schema, size), so a committed row always has a publishable live copy,
 * and the live copy is the stored text itself: a caller mutating `payload` later changes
 * neither. The `events` lock is taken here if the write did not take it (it ranks last,
 * so this is always in canonical order).
 */
export async function journalAndPublish<T extends string>(tx: WriteTx, bus: Bus | null, topic: T, payload: PayloadOf<T>, opts: JournalAndPublishOptions = {}): Promise<JournaledEvent> {
  const prepared = prepareEvent(topic, payload, opts.type === undefined ? undefined : { type: opts.type }, {
    now: () => tx.clock.now(),
    strict: opts.strict ?? tx.strictPayloads,
    onInvalid: (t, issues) => tx.log.warn({ topic: t, issues }, 'journaled payload does not match its schema; stored and published anyway'),
  });
  const event = withPayloadText(prepared, storedPayloadText(prepared.payloadJson));
  const { id, ts } = event;
  // the topic is validated and the id and ts minted above: appendJournalEntry's checks would repeat them
  const { seq } = await insertJournalRow(tx, { topic, type: event.type, id, ts, payload: payload as Record<string, unknown> }, event.payloadJson);
  if (bus !== null) tx.afterCommit(() => bus.publishPrepared(event));
  return { id, ts, seq };
}

/** Deletes journal rows older than `hours`; returns how many (logged when any). */
export async function pruneJournal(db: Db, hours: number, log?: Logger): Promise<number> {
  const removed = await db.repos.journal.pruneOlderThan(hours);
  if (removed > 0) log?.info({ removed, retention_hours: hours }, 'journal pruned');
  return removed;
}

export interface JournalPrunerOptions {
  /** `DECNET_JOURNAL_RETENTION_HOURS` (168). */
  readonly retentionHours: number;
  /** ms between passes (default one hour). */
  readonly intervalMs?: number;
  readonly log: Logger;
  /** Default: the database's clock. */
  readonly clock?: Clock;
}

/**
 * Prunes the journal now and then every interval, on the clock, until stopped. A failed
 * pass is logged and retried at the next interval.
 */
export class JournalPruner {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running: Promise<number> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly db: Db,
    private readonly opts: JournalPrunerOptions,
  ) {
    this.clock = opts.clock ?? db.clock;
  }

  /** Starts the schedule with an immediate pass. Idempotent. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    void this.runNow();
    this.schedule();
  }

  /** One pass now (concurrent calls share it); resolves with rows removed, 0 on failure. */
  runNow(): Promise<number> {
    this.running ??= pruneJournal(this.db, this.opts.retentionHours, this.opts.log)
      .catch((err: unknown) => {
        this.opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'journal prune failed; retrying at the next interval');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops the schedule and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      void this.runNow();
      this.schedule();
    }, this.opts.intervalMs ?? 3_600_000);
  }
}
