/**
 * One open `GET /api/v1/stream` (eventplane.md §3.2), driven by the bus, never by a
 * polling timer.
 *
 * - Live-only topics: each bus event becomes one frame (no `id:`).
 * - Journaled topics (the durable set, §1.5): the live copy only wakes the stream,
 *   which reads the journal after its cursor and sends the rows with `id: <seq>:0`;
 *   the frame's `data.id` is the journal id (CORRECTIONS, Across 3). One reader per
 *   stream, wakes coalesced, paced by the client (a backed-up client is not read for).
 * - Resume: subscribe first, then fix the cursor (the head, or the client's), then
 *   replay from it: every row is read exactly once by the one cursor, so nothing is
 *   lost or repeated. More than 1,000 matching rows behind → `too_far_behind` gap and
 *   a jump to the head; a cursor older than the oldest retained row → `pruned` gap.
 * - A bus (re)connect re-reads the journal (events may have been missed meanwhile).
 * - A failure sends `event: error` and ends the stream; `end()` runs once however the
 *   stream ends and calls `onEnd` (the slot) exactly once.
 */
import type { ServerResponse } from 'node:http';
import { matches, topics, type Bus, type BusEvent, type Clock, type Logger, type Subscription, type TimerHandle } from '../../bus/index.js';
import type { JournalRepo } from '../../db/index.js';
import type { Role } from '../auth/tokens.js';
import { ClientQueue, DEFAULT_DRAIN_TIMEOUT_MS } from './client-queue.js';
import { cursorFrame, ERROR_FRAME, eventFrame, formatCursor, journalGapFrame, OPENING_FRAME, type StreamCursor } from './frames.js';
import { mayReceive } from './viewer-filter.js';

/** Most matching journal rows replayed on resume before giving up with `too_far_behind`. */
export const MAX_REPLAY = 1000;
/** Journal rows read per query. */
const PAGE = 100;
/** Bound of each bus subscription's queue; the pump empties it at once, so it only fills when the loop stalls. */
const SUB_QUEUE = 1024;
/** How long to wait for the transport to confirm the subscriptions while the bus is up (ms). */
const READY_WAIT_MS = 2000;

export type EndReason = 'client_closed' | 'stalled' | 'error' | 'shutdown' | 'bus_closed';

export interface StreamSessionOptions {
  readonly bus: Bus;
  readonly journal: JournalRepo;
  readonly clock: Clock;
  readonly log: Logger;
  /** The durable set (DECNET_DURABLE_TOPICS): these topics come from the journal. */
  readonly durableTopics: readonly string[];
  readonly role: Role;
  /** Valid, deduplicated patterns (request.ts). */
  readonly patterns: readonly string[];
  readonly cursor: StreamCursor | undefined;
  /** The response, headers already written. */
  readonly res: ServerResponse;
  /** Called exactly once when the stream ends. */
  readonly onEnd: (reason: EndReason) => void;
}

export class StreamSession {
  private readonly queue: ClientQueue;
  private subs: Subscription[] = [];
  private readonly seenDrops: number[] = [];
  private offState: (() => void) | undefined;
  /** Last journal seq handled; undefined until the start has fixed it. */
  private cursor: number | undefined;
  private reading = false;
  private again = false;
  private ended = false;
  private lingerTimer: TimerHandle | undefined;

  constructor(private readonly o: StreamSessionOptions) {
    this.queue = new ClientQueue(o.res, { clock: o.clock, onStall: () => this.end('stalled') });
    o.res.on('close', () => this.end('client_closed'));
    // the client may have gone while auth awaited the database: its 'close' has fired already
    if (o.res.destroyed || o.res.socket === null || o.res.socket.destroyed) queueMicrotask(() => this.end('client_closed'));
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Subscribes, fixes the cursor, and starts the replay; failures end the stream with an error frame. */
  async start(): Promise<void> {
    if (this.ended) return;
    try {
      this.queue.push(OPENING_FRAME);
      this.subs = this.o.patterns.map((p) => this.o.bus.subscribe(p, { queue: SUB_QUEUE }));
      this.offState = this.o.bus.on('state', (change) => {
        if (change.state === 'connected') this.wake();
      });
      this.subs.forEach((sub, i) => {
        this.seenDrops[i] = 0;
        void this.pump(sub, i);
      });
      await this.subscriptionsReady();
      if (this.ended) return;
      await this.fixCursor();
      if (this.ended) return;
      this.wake();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Ends the stream (idempotent): stops the subscriptions and timers, frees the slot, ends the response. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.close();
    this.offState?.();
    for (const sub of this.subs) void sub.close();
    const { res } = this.o;
    if (reason === 'stalled') {
      res.destroy();
    } else if (!res.destroyed) {
      res.end();
      // a client that never reads would keep the socket; cut it after the drain timeout
      if (!res.writableFinished) {
        this.lingerTimer = this.o.clock.setTimeout(() => res.destroy(), DEFAULT_DRAIN_TIMEOUT_MS);
        res.once('close', () => this.o.clock.clearTimeout(this.lingerTimer));
      }
    }
    this.o.log.debug({ reason, dropped: this.queue.dropped }, 'stream ended');
    this.o.onEnd(reason);
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'stream interrupted');
    this.queue.close();
    if (!this.o.res.destroyed) this.o.res.write(ERROR_FRAME);
    this.end('error');
  }

  private async subscriptionsReady(): Promise<void> {
    // while the bus is down, do not hold the client: the (re)connect wakes a journal read
    if (this.o.bus.state !== 'connected') return;
    let timer: TimerHandle | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = this.o.clock.setTimeout(resolve, READY_WAIT_MS);
    });
    try {
      await Promise.race([Promise.all(this.subs.map((s) => s.ready)), limit]);
    } finally {
      this.o.clock.clearTimeout(timer);
    }
  }

  /** Decides where the journal read starts, sending the id (or gap) frame that says so. */
  private async fixCursor(): Promise<void> {
    const { journal } = this.o;
    const head = await journal.head();
    const asked = this.o.cursor;
    if (asked === undefined) return this.startAt(head, cursorFrame(formatCursor(head)));
    if (asked.seq > head) return this.startAt(head, journalGapFrame('unknown_cursor', formatCursor(head)));
    const behind = await journal.countAfter(asked.seq, this.o.patterns);
    if (behind > MAX_REPLAY) return this.startAt(head, journalGapFrame('too_far_behind', formatCursor(head)));
    const oldest = await journal.oldestSeq();
    const from = oldest === undefined ? head : oldest - 1;
    if (from > asked.seq) {
      this.o.log.info({ cursor: asked.seq, oldest }, 'stream resumed behind the journal retention');
      return this.startAt(from, journalGapFrame('pruned', formatCursor(from), from - asked.seq));
    }
    return this.startAt(asked.seq, cursorFrame(formatCursor(asked.seq)));
  }

  private startAt(seq: number, announce: string): void {
    if (this.ended) return;
    this.cursor = seq;
    this.queue.push(announce);
  }

  private async pump(sub: Subscription, index: number): Promise<void> {
    try {
      for await (const event of sub) this.onLive(event, sub, index);
    } catch (err) {
      this.fail(err);
      return;
    }
    // the bus ended the subscription (closing): nothing more will come
    this.end('bus_closed');
  }

  private onLive(event: BusEvent, sub: Subscription, index: number): void {
    if (this.ended) return;
    // an event matching several patterns arrives once per subscription: the first owns it
    if (this.o.patterns.findIndex((p) => matches(p, event.topic)) !== index) return;
    const drops = sub.dropped - (this.seenDrops[index] ?? 0);
    if (drops > 0) {
      this.seenDrops[index] = sub.dropped;
      this.queue.noteDropped(drops);
    }
    if (topics.isDurableTopic(event.topic, this.o.durableTopics)) {
      this.wake();
      return;
    }
    if (!mayReceive(this.o.role, event.topic)) return;
    this.queue.push(eventFrame(event));
  }

  private wake(): void {
    if (this.ended || this.cursor === undefined) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.readJournal();
  }

  private deliverable(topic: string): boolean {
    return topics.isDurableTopic(topic, this.o.durableTopics) && mayReceive(this.o.role, topic) && this.o.patterns.some((p) => matches(p, topic));
  }

  private async readJournal(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        let full: boolean;
        do {
          await this.queue.whenRoom();
          if (this.ended) return;
          const rows = await this.o.journal.readAfter(this.cursor as number, { patterns: this.o.patterns, limit: PAGE });
          if (this.ended) return;
          for (const row of rows) {
            this.cursor = row.seq;
            if (this.deliverable(row.topic)) this.queue.push(eventFrame(row, formatCursor(row.seq)));
          }
          full = rows.length === PAGE;
        } while (full);
      } while (this.again);
    } catch (err) {
      this.fail(err);
    } finally {
      this.reading = false;
    }
  }
}
