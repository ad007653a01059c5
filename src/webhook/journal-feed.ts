/**
 * Journaled topics into the outbox (eventplane.md §4.3, CORRECTIONS #6.2, #6.8). The
 * journal is the truth for them: each step reads up to 500 events after the worker's
 * cursor, re-reads the enabled subscriptions, inserts the matching rows and moves the
 * cursor, all in ONE transaction, so a crash (kill -9 included) neither loses nor
 * duplicates a row. Their live bus copies only wake the feed (on unix they carry a
 * re-minted id, so a row from one would be a second delivery).
 *
 * On first start the cursor starts at the head: a new worker does not replay history.
 * Events pruned before the worker read them are logged and counted as a gap.
 */
import type { Clock, Logger } from '../bus/index.js';
import type { Db } from '../db/index.js';
import type { DeliveryOutbox } from './outbox.js';
import type { WebhookStats } from './stats.js';
import { SubscriptionMatcher } from './subscriptions.js';

/** The cursor row: (`webhook`, `events`). */
export const JOURNAL_CURSOR = { worker: 'webhook', name: 'events' } as const;
/** Events read per transaction. */
export const JOURNAL_BATCH = 500;

export interface JournalFeedOptions {
  readonly db: Db;
  readonly outbox: DeliveryOutbox;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: WebhookStats;
  /** Rows were created: wake the dispatcher. */
  readonly onRows: () => void;
  readonly batch?: number;
}

export class JournalFeed {
  constructor(private readonly opts: JournalFeedOptions) {}

  /** Creates the cursor at the journal's head on first start; returns the position. */
  async start(): Promise<number> {
    const { db } = this.opts;
    return db.write(async (tx) => {
      const existing = await db.repos.cursors.get(JOURNAL_CURSOR.worker, JOURNAL_CURSOR.name, tx);
      if (existing !== undefined) return existing;
      const head = await db.repos.journal.head(tx);
      await db.repos.cursors.set(tx, JOURNAL_CURSOR.worker, JOURNAL_CURSOR.name, head);
      this.opts.log.info({ cursor: head }, 'webhook journal cursor created at the head');
      return head;
    });
  }

  /** Reads until caught up; returns the rows created. */
  async pass(signal?: AbortSignal): Promise<number> {
    let created = 0;
    for (;;) {
      const step = await this.step();
      created += step.rows;
      if (step.rows > 0) this.opts.onRows();
      if (!step.more || signal?.aborted) return created;
    }
  }

  private async step(): Promise<{ rows: number; more: boolean }> {
    const { db, outbox, stats, log } = this.opts;
    const limit = this.opts.batch ?? JOURNAL_BATCH;
    return db.write(async (tx) => {
      const cursor = (await db.repos.cursors.get(JOURNAL_CURSOR.worker, JOURNAL_CURSOR.name, tx)) ?? 0;
      const page = await db.repos.journal.readPage(cursor, { limit }, tx);
      if (page.position === cursor) return { rows: 0, more: false };
      const missed = await db.repos.journal.missedAfter(cursor, tx);
      if (missed > 0) {
        stats.journalGaps += missed;
        log.warn({ cursor, missed }, 'webhook journal cursor fell behind retention: events were pruned before delivery rows were made');
      }
      // subscriptions after the events: one created meanwhile gets rows too (never misses)
      const matcher = new SubscriptionMatcher(await db.repos.webhookSubscriptions.listEnabled(tx));
      const rows = await outbox.insert(tx, outbox.rowsFor(page.rows, matcher));
      await db.repos.cursors.set(tx, JOURNAL_CURSOR.worker, JOURNAL_CURSOR.name, page.position);
      stats.rowsCreated += rows;
      return { rows, more: page.rows.length >= limit };
    });
  }
}
