/**
 * One open `GET /api/v1/stream` (eventplane.md §3.2), driven by the bus, never by a
 * polling timer. The bus subscriptions, the live frames and the journal reads are the
 * app's StreamHub's (shared by every stream); a session keeps what is its own: the
 * client's queue, its journal cursor and its pacing.
 *
 * - Live-only topics: each bus event becomes one frame (no `id:`), built by the hub.
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
import type { Bus, Clock, Logger, TimerHandle } from '../../bus/index.js';
import type { JournalRepo, LogsRepo } from '../../db/index.js';
import type { Role } from '../auth/tokens.js';
import { ClientQueue, DEFAULT_DRAIN_TIMEOUT_MS } from './client-queue.js';
import { cursorFrame, ERROR_FRAME, formatCursor, journalGapFrame, OPENING_FRAME, type StreamCursor } from './frames.js';
import { LogFeed, type LogFeedFilter } from './log-feed.js';
import { JOURNAL_PAGE, type HubMember, type Membership, type StreamHub } from './hub.js';

/** Most matching journal rows replayed on resume before giving up with `too_far_behind`. */
export const MAX_REPLAY = 1000;
/** How long to wait for the transport to confirm the subscriptions while the bus is up (ms). */
const READY_WAIT_MS = 2000;

export type EndReason = 'client_closed' | 'stalled' | 'error' | 'shutdown' | 'bus_closed';

export interface StreamSessionOptions {
  readonly hub: StreamHub;
  /** For fixing the cursor (head, replay count, retention); rows come through the hub. */
  readonly journal: JournalRepo;
  readonly clock: Clock;
  readonly log: Logger;
  readonly role: Role;
  /** Valid, deduplicated patterns (request.ts). */
  readonly patterns: readonly string[];
  readonly cursor: StreamCursor | undefined;
  /** The response, headers already written. */
  readonly res: ServerResponse;
  /** Called exactly once when the stream ends. */
  readonly onEnd: (reason: EndReason) => void;
  /** `logs=1`: the log feed (log-feed.ts). */
  readonly logFeed?: { readonly bus: Bus; readonly logs: LogsRepo; readonly filter: LogFeedFilter } | undefined;
}

export class StreamSession implements HubMember {
  private readonly queue: ClientQueue;
  private membership: Membership | undefined;
  private logFeed: LogFeed | undefined;
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

  get role(): Role {
    return this.o.role;
  }

  /** Subscribes, fixes the cursor, and starts the replay; failures end the stream with an error frame. */
  async start(): Promise<void> {
    if (this.ended) return;
    try {
      this.queue.push(OPENING_FRAME);
      this.membership = this.o.hub.join(this, this.o.patterns);
      await this.subscriptionsReady(this.membership);
      if (this.ended) return;
      await this.fixCursor();
      if (this.ended) return;
      if (this.o.logFeed) await this.startLogFeed(this.o.logFeed);
      if (this.ended) return;
      // rows committed before the cursor was fixed may not have woken anyone: read afresh
      this.o.hub.touch();
      this.wake();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Ends the stream (idempotent): leaves the hub, stops the timers, frees the slot, ends the response. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.close();
    this.membership?.leave();
    this.logFeed?.stop();
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

  /** HubMember: a live-only frame for this stream (the hub applied the pattern and viewer rules). */
  deliver(frame: Buffer): void {
    if (!this.ended) this.queue.push(frame);
  }

  /** HubMember: events the bus dropped before they reached the hub. */
  noteDropped(n: number): void {
    this.queue.noteDropped(n);
  }

  /** HubMember: the bus ended a subscription (closing), or it broke. */
  routeEnded(err?: unknown): void {
    if (err === undefined) this.end('bus_closed');
    else this.fail(err);
  }

  /** HubMember: reads the journal after the cursor; a wake during a read reads again after it. */
  wake(): void {
    if (this.ended || this.cursor === undefined) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.readJournal();
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'stream interrupted');
    this.queue.close();
    if (!this.o.res.destroyed) this.o.res.write(ERROR_FRAME);
    this.end('error');
  }

  private async subscriptionsReady(membership: Membership): Promise<void> {
    // while the bus is down, do not hold the client: the (re)connect wakes a journal read
    if (this.o.hub.busState !== 'connected') return;
    let timer: TimerHandle | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = this.o.clock.setTimeout(resolve, READY_WAIT_MS);
    });
    try {
      await Promise.race([membership.ready, limit]);
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

  /** Subscribes to `system.log`, fixes the log cursor (announcing both cursors, or a gap), and reads. */
  private async startLogFeed(opts: NonNullable<StreamSessionOptions['logFeed']>): Promise<void> {
    const feed = new LogFeed({
      ...opts,
      log: this.o.log,
      push: (f) => this.queue.push(f),
      whenRoom: () => this.queue.whenRoom(),
      journalSeq: () => this.cursor ?? 0,
      isEnded: () => this.ended,
      fail: (err) => this.fail(err),
    });
    this.logFeed = feed;
    const gap = await feed.start(this.o.cursor?.log);
    if (this.ended) return;
    this.queue.push(gap ?? feed.cursorBlock());
    feed.wake();
  }

  private startAt(seq: number, announce: string): void {
    if (this.ended) return;
    this.cursor = seq;
    this.queue.push(announce);
  }

  private async readJournal(): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    const admin = this.o.role === 'admin';
    this.reading = true;
    try {
      do {
        this.again = false;
        let full: boolean;
        do {
          await this.queue.whenRoom();
          if (this.ended) return;
          const rows = await membership.read(this.cursor as number);
          if (this.ended) return;
          for (const row of rows) {
            this.cursor = row.seq;
            // the read matched the patterns; the viewer filter only drops
            if (row.durable && (admin || row.viewerOk)) this.queue.push(row.frame);
          }
          // shared journal frames say `<seq>:0`: restate the log part for a log-feed stream
          if (this.logFeed && rows.length > 0) this.queue.push(this.logFeed.cursorBlock());
          full = rows.length === JOURNAL_PAGE;
        } while (full);
      } while (this.again);
    } catch (err) {
      this.fail(err);
    } finally {
      this.reading = false;
    }
  }
}
