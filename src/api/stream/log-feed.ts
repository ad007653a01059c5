/**
 * The log feed of one stream (`GET /api/v1/stream?logs=1`, eventplane.md §3.2,
 * CORRECTIONS #7.7): `event: logs`, `data: {"rows": [...]}` with at most 100 rows, read
 * from `logs` after the stream's log cursor on each `system.log` batch event and after
 * a bus reconnect — never on a timer. Optional exact filters: `decky`, `service`,
 * `event_type`, `attacker_ip`. Frames carry `id: <journal seq>:<log id>`.
 *
 * Resume: no cursor starts at the head; a cursor more than 1,000 rows behind (counted
 * by id, so "at most" on PostgreSQL) jumps to the head after a `too_far_behind` gap.
 * One reader at a time, wakes coalesced, paced by the client's queue like the journal.
 */
import { topics, type Bus, type Logger, type Subscription } from '../../bus/index.js';
import type { LogRow, LogsRepo } from '../../db/index.js';
import { logRowResponse } from '../routes/logs.js';
import { cursorFrame, formatCursor, frame } from './frames.js';

/** Rows per `logs` frame (and per read). */
export const LOG_FRAME_ROWS = 100;
/** Most rows replayed on resume before `too_far_behind`. */
export const MAX_LOG_REPLAY = 1000;

export interface LogFeedFilter {
  readonly decky?: string;
  readonly service?: string;
  readonly eventType?: string;
  readonly attackerIp?: string;
}

export interface LogFeedOptions {
  readonly bus: Bus;
  readonly logs: LogsRepo;
  readonly filter: LogFeedFilter;
  readonly log: Logger;
  /** The stream's queue. */
  readonly push: (frame: string) => void;
  readonly whenRoom: () => Promise<void>;
  /** The stream's journal cursor, for the `<seq>:` part of ids. */
  readonly journalSeq: () => number;
  readonly isEnded: () => boolean;
  readonly fail: (err: unknown) => void;
}

function matchesFilter(r: LogRow, f: LogFeedFilter): boolean {
  return (f.decky === undefined || r.decky === f.decky) && (f.service === undefined || r.service === f.service) && (f.eventType === undefined || r.eventType === f.eventType) && (f.attackerIp === undefined || r.attackerIp === f.attackerIp);
}

export class LogFeed {
  /** Last log id handled; undefined until `start` fixed it. */
  private position: number | undefined;
  private sub: Subscription | undefined;
  private offState: (() => void) | undefined;
  private reading = false;
  private again = false;

  constructor(private readonly o: LogFeedOptions) {}

  /** The log part of the stream's cursor (0 before the start). */
  get cursor(): number {
    return this.position ?? 0;
  }

  /** Subscribes to `system.log` first, then fixes the cursor; returns a gap frame to send, if any. */
  async start(asked: number | undefined): Promise<string | undefined> {
    this.sub = this.o.bus.subscribe(topics.system(topics.SYSTEM_LOG), { queue: 16 });
    this.offState = this.o.bus.on('state', (change) => {
      if (change.state === 'connected') this.wake();
    });
    void this.pump(this.sub);
    const head = await this.o.logs.head();
    let gap: string | undefined;
    if (asked === undefined || asked > head) this.position = head;
    else if (head - asked > MAX_LOG_REPLAY) {
      this.position = head;
      gap = frame('gap', { dropped: null, reason: 'too_far_behind', feed: 'logs' });
    } else this.position = asked;
    return gap;
  }

  /** An id-only block carrying both cursors (after journal frames, whose shared ids say `:0`). */
  cursorBlock(): string {
    return cursorFrame(formatCursor(this.o.journalSeq(), this.cursor));
  }

  stop(): void {
    this.offState?.();
    void this.sub?.close();
  }

  private async pump(sub: Subscription): Promise<void> {
    try {
      for await (const _event of sub) this.wake();
    } catch (err) {
      this.o.fail(err);
    }
  }

  /** Reads after the cursor; a wake during a read reads again after it. */
  wake(): void {
    if (this.o.isEnded() || this.position === undefined) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.read();
  }

  private async read(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        let full: boolean;
        do {
          await this.o.whenRoom();
          if (this.o.isEnded()) return;
          const rows = await this.o.logs.readAfter(this.position as number, LOG_FRAME_ROWS);
          if (this.o.isEnded()) return;
          const last = rows.at(-1);
          if (last) this.position = last.id;
          const matching = rows.filter((r) => matchesFilter(r, this.o.filter));
          if (matching.length > 0) this.o.push(frame('logs', { rows: matching.map(logRowResponse) }, formatCursor(this.o.journalSeq(), this.cursor)));
          else if (last) this.o.push(this.cursorBlock());
          full = rows.length === LOG_FRAME_ROWS;
        } while (full);
      } while (this.again);
    } catch (err) {
      this.o.fail(err);
    } finally {
      this.reading = false;
    }
  }
}
