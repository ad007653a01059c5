/**
 * One batch, one transaction (ttp.md §6.3): insert the tags (`ON CONFLICT DO NOTHING`),
 * link sessions (§1.6), move the source's cursor, and journal the events of the tags that
 * were new — so a replay, a retry or a backfill of what is stored writes and announces
 * nothing (the loop-prevention invariant, §7.1). Events are published after the commit.
 */
import type { Bus } from '../../bus/index.js';
import { journalAndPublish, type Db, type NewTtpTag } from '../../db/index.js';
import { eventsForNewTags } from './events.js';

export const TTP_WORKER = 'ttp';
export type CursorName = 'logs' | 'events';

export interface SessionLink {
  readonly sessionId: string;
  /** The session's command input ids. */
  readonly inputIds: readonly string[];
}

export interface BatchWrite {
  readonly tags: readonly NewTtpTag[];
  readonly sessionLinks?: readonly SessionLink[];
  /** Omitted for live inputs and backfills (they move no cursor). */
  readonly cursor?: { readonly name: CursorName; readonly position: number };
}

export interface BatchResult {
  readonly newTags: readonly NewTtpTag[];
  readonly events: number;
  readonly sessionTagsLinked: number;
}

/** Writes `batch`; with `announce` false (a plain backfill) no event is journaled or published. */
export async function writeBatch(db: Db, bus: Bus | null, batch: BatchWrite, opts: { announce: boolean } = { announce: true }): Promise<BatchResult> {
  return db.write(
    async (tx) => {
      const ids = batch.tags.length > 0 ? new Set(await db.repos.ttpTags.insertMany(tx, batch.tags)) : new Set<string>();
      const newTags = batch.tags.filter((t) => ids.has(t.id));
      let sessionTagsLinked = 0;
      for (const link of batch.sessionLinks ?? []) if (link.inputIds.length > 0) sessionTagsLinked += await db.repos.ttpTags.linkSession(tx, link.sessionId, link.inputIds);
      if (batch.cursor) await db.repos.cursors.set(tx, TTP_WORKER, batch.cursor.name, batch.cursor.position);
      const events = opts.announce ? eventsForNewTags(newTags) : [];
      for (const e of events) await journalAndPublish(tx, bus, e.topic, e.payload as never);
      return { newTags, events: events.length, sessionTagsLinked };
    },
    { locks: ['ttp_tags', 'events'] },
  );
}
