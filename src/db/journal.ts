/**
 * Producing journaled events (eventplane.md §1.5, CORRECTIONS #5.6): `journalAndPublish`
 * mints the envelope, stores it in the caller's transaction next to the rows it
 * describes, and publishes the same id, ts and type after the commit. For journaled
 * topics the journal row is the truth; the live copy only wakes consumers.
 *
 * Also the retention pass the API runs hourly.
 */
import {
  checkEnvelopeSize,
  newEventId,
  PayloadError,
  publishSafely,
  serializeEnvelope,
  topics,
  validateTopic,
  type Bus,
  type Clock,
  type Logger,
  type PayloadOf,
  type TimerHandle,
} from '../bus/index.js';
import type { Db } from './database.js';
import { insertJournalRow, journalPayloadText } from './repositories/journal.js';
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
 * rollback). Checks what the bus would check at publish (topic, JSON, schema, size), so a
 * committed row always has a publishable live copy. The `events` lock is taken here if
 * the write did not take it (it ranks last, so this is always in canonical order).
 */
export async function journalAndPublish<T extends string>(tx: WriteTx, bus: Bus | null, topic: T, payload: PayloadOf<T>, opts: JournalAndPublishOptions = {}): Promise<JournaledEvent> {
  validateTopic(topic);
  const strict = opts.strict ?? tx.strictPayloads;
  const entry = topics.findTopicEntry(topic);
  const type = opts.type ?? entry?.type ?? '';
  if (strict && entry && type !== entry.type) throw new PayloadError(topic, `type ${JSON.stringify(type)} differs from the catalogue's ${JSON.stringify(entry.type)}`);
  const verdict = topics.validatePayload(topic, payload);
  if (!verdict.ok) {
    if (strict) throw new PayloadError(topic, `does not match the ${entry?.template ?? topic} schema: ${verdict.issues.join('; ')}`, verdict.issues);
    tx.log.warn({ topic, issues: verdict.issues }, 'journaled payload does not match its schema; stored and published anyway');
  }
  const payloadJson = journalPayloadText(topic, payload);
  const id = newEventId();
  const ts = tx.clock.now() / 1000;
  checkEnvelopeSize(topic, serializeEnvelope({ v: 1, id, topic, type, ts, payload: {} }, payloadJson));
  // the topic is validated above, the id and ts minted here: appendJournalEntry's checks would repeat them
  const { seq } = await insertJournalRow(tx, { topic, type, id, ts, payload: payload as Record<string, unknown> }, payloadJson);
  // the live copy is parsed from the stored text after the commit (outside the write lock; not at all without a bus), so a caller mutating `payload` later changes neither
  if (bus !== null) tx.afterCommit(() => publishSafely(bus, topic, JSON.parse(payloadJson) as PayloadOf<T>, { id, ts, type, log: tx.log, clock: tx.clock }));
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
