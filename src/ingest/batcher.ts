/**
 * One source's batching (eventplane.md §8.3): lines are cut into a batch at
 * `DECNET_BATCH_SIZE` lines, `DECNET_BATCH_MAX_WAIT_MS` after the batch's first line, or
 * on `flush()` (end of input). Batches commit one at a time, in order, each in one
 * transaction with the source's new position, so what is committed is always a prefix of
 * what was read. A database error retries the same batch after 5 s (decoding is not
 * redone: the filters and adapters keep state); a missing schema is fatal.
 *
 * Memory is bounded: at most `maxQueued` lines wait (being filled or committing). Past
 * that `add` returns a promise to await (files), `saturated` tells a listener to pause
 * (TCP) or drop and count (UDP, `dropped()`).
 */
import type { Clock, Logger, TimerHandle } from '../bus/index.js';
import type { IngestSourceState, NewUnparsedLine } from '../db/index.js';
import type { LineDecoder } from './adapters/index.js';
import { extract, type ExtractOptions } from './extract.js';
import type { LineFilter } from './filters.js';
import type { RawLine } from './record.js';
import { maskUnparsed } from './redact.js';
import { storeBatch, type PreparedRow, type StoreContext } from './store.js';

/** Kept of an unparsed line (bytes of text, near enough: UTF-16 units). */
export const MAX_UNPARSED_RAW = 8 * 1024;

export interface BatcherOptions {
  readonly state: IngestSourceState;
  /** The rows' default `source`. */
  readonly rowSource: string;
  readonly decoder: LineDecoder;
  readonly filter: LineFilter;
  readonly extract: ExtractOptions;
  readonly store: StoreContext;
  readonly clock: Clock;
  readonly log: Logger;
  readonly batchSize: number;
  readonly maxWaitMs: number;
  /** Lines waiting at most (default 10 batches, at least 1,000). */
  readonly maxQueued?: number;
  /** ms before a failed batch is retried (5,000). */
  readonly retryMs?: number;
  /** Ends retries (the batch is then not committed). */
  readonly signal?: AbortSignal;
  /** Called once when the batcher fails for good (a missing schema, or an abort while retrying). */
  readonly onFatal?: (err: Error) => void;
  /** Files: the head hash at an offset (first min(1 KiB, offset) bytes). */
  headHash?: (offset: number) => string | null;
}

/** Counters since this batcher started (the state holds the committed totals). */
export interface BatcherStats {
  lines: number;
  parsed: number;
  unparsed: number;
  filtered: number;
  dropped: number;
  events: number;
  batches: number;
  credentialsDropped: number;
  retries: number;
}

/** A missing table or schema: retrying cannot help, the worker must stop and say so. */
export class IngestSchemaError extends Error {
  override readonly name = 'IngestSchemaError';
}

function isMissingSchema(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '42P01' || code === '3F000' || (err instanceof Error && /no such table/i.test(err.message));
}

export class SourceBatcher {
  private pending: RawLine[] = [];
  private received: string[] = [];
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private fatal: Error | undefined;
  private readonly waiters: Array<() => void> = [];
  private delta = { dropped: 0, truncations: 0, rotations: 0 };
  private identity: { dev: string | null; inode: string | null } | undefined;
  private readonly maxQueued: number;
  state: IngestSourceState;
  readonly stats: BatcherStats = { lines: 0, parsed: 0, unparsed: 0, filtered: 0, dropped: 0, events: 0, batches: 0, credentialsDropped: 0, retries: 0 };
  lastError: string | null = null;

  constructor(private readonly opts: BatcherOptions) {
    this.state = opts.state;
    this.maxQueued = opts.maxQueued ?? Math.max(1000, opts.batchSize * 10);
  }

  get id(): string {
    return this.state.id;
  }

  /** Lines read and not yet committed. */
  get queued(): number {
    return this.inFlight + this.pending.length;
  }

  get saturated(): boolean {
    return this.queued >= this.maxQueued;
  }

  /** Queues a line; returns a promise to await when the queue is full. Throws after a fatal error. */
  add(line: RawLine): Promise<void> | undefined {
    if (this.fatal) throw this.fatal;
    this.pending.push(line);
    this.received.push(line.receivedAt ?? this.opts.clock.isoNow());
    if (this.pending.length >= this.opts.batchSize) this.cut();
    else if (this.pending.length === 1) this.timer = this.opts.clock.setTimeout(() => this.cut(), this.opts.maxWaitMs);
    return this.saturated ? this.whenRoom() : undefined;
  }

  /** A datagram dropped because the queue was full: counted, saved with the next batch. */
  dropped(): void {
    this.delta.dropped++;
    this.stats.dropped++;
  }

  /** The file was truncated / rotated: counted with the next commit. */
  noteTruncation(): void {
    this.delta.truncations++;
  }
  noteRotation(): void {
    this.delta.rotations++;
  }

  /**
   * Switches to another file (start, rotation, truncation): commits what is queued under
   * the old identity, then commits the new identity and `offset` with no rows.
   */
  async setIdentity(dev: string | null, inode: string | null, offset: number, headHash: (offset: number) => string | null): Promise<void> {
    await this.flush();
    this.identity = { dev, inode };
    this.opts.headHash = headHash;
    this.position = offset;
    await this.flush();
  }

  /** An offset to commit with the next batch when no line of it carries one. */
  private position: number | undefined;

  /** Resolves when the queue has room (or rejects after a fatal error). */
  whenRoom(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (!this.saturated) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => {
      if (this.fatal) throw this.fatal;
    });
  }

  /** Commits everything queued (and a pending position or counter, even with no lines); rejects on a fatal error. */
  async flush(): Promise<void> {
    const d = this.delta;
    this.cut(this.position !== undefined || d.dropped + d.truncations + d.rotations > 0);
    await this.chain;
    if (this.fatal) throw this.fatal;
  }

  private cut(evenEmpty = false): void {
    // the delta and the position are taken by the commit that runs next, so one empty commit carries them
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 && !evenEmpty) return;
    const lines = this.pending;
    const received = this.received;
    this.pending = [];
    this.received = [];
    this.inFlight += lines.length;
    this.chain = this.chain
      .then(() => this.commit(lines, received))
      .catch((err: unknown) => {
        if (this.fatal) return;
        this.fatal = err instanceof Error ? err : new Error(String(err));
        this.opts.onFatal?.(this.fatal);
      })
      .finally(() => {
        this.inFlight -= lines.length;
        this.wake();
      });
  }

  private wake(): void {
    if (this.saturated && !this.fatal) return;
    for (const w of this.waiters.splice(0)) w();
  }

  private async commit(lines: readonly RawLine[], received: readonly string[]): Promise<void> {
    const rows: PreparedRow[] = [];
    const unparsed: NewUnparsedLine[] = [];
    let filtered = 0;
    let credentialsDropped = 0;
    let offset = this.position ?? this.state.offset;
    for (const [i, line] of lines.entries()) {
      const receivedAt = received[i] as string;
      if (line.endOffset !== undefined) offset = line.endOffset;
      const decoded = this.opts.decoder.decode(line, receivedAt);
      if (decoded.kind === 'skip') {
        filtered++;
      } else if (decoded.kind === 'unparsed') {
        const raw = line.text.length > MAX_UNPARSED_RAW ? line.text.slice(0, MAX_UNPARSED_RAW) : line.text;
        unparsed.push({ source: line.rowSource ?? this.opts.rowSource, receivedAt, raw: this.opts.extract.storePlaintext ? raw : maskUnparsed(raw), reason: decoded.reason, position: decoded.position });
      } else if (this.opts.filter.verdict(decoded.record) !== 'keep') {
        filtered++;
      } else {
        const extraction = extract(decoded.record, this.opts.extract);
        if (extraction.credentialDropped) credentialsDropped++;
        rows.push({ record: decoded.record, extraction });
      }
    }
    this.position = undefined;
    const delta = this.delta;
    this.delta = { dropped: 0, truncations: 0, rotations: 0 };
    const s = this.state;
    const next: IngestSourceState = {
      ...s,
      ...(this.identity ?? {}),
      offset,
      headHash: this.opts.headHash ? this.opts.headHash(offset) : s.headHash,
      lines: s.lines + lines.length,
      parsed: s.parsed + rows.length,
      unparsed: s.unparsed + unparsed.length,
      filtered: s.filtered + filtered,
      dropped: s.dropped + delta.dropped,
      truncations: s.truncations + delta.truncations,
      rotations: s.rotations + delta.rotations,
      lastError: null,
    };
    const outcome = await this.storeWithRetry({ source: s.id, rows, unparsed, state: next });
    this.state = next;
    this.lastError = null;
    Object.assign(this.stats, {
      lines: this.stats.lines + lines.length,
      parsed: this.stats.parsed + rows.length,
      unparsed: this.stats.unparsed + unparsed.length,
      filtered: this.stats.filtered + filtered,
      events: this.stats.events + outcome.events,
      batches: this.stats.batches + 1,
      credentialsDropped: this.stats.credentialsDropped + credentialsDropped,
    });
  }

  private async storeWithRetry(batch: Parameters<typeof storeBatch>[1]): Promise<Awaited<ReturnType<typeof storeBatch>>> {
    for (;;) {
      try {
        return await storeBatch(this.opts.store, batch);
      } catch (err) {
        if (isMissingSchema(err)) throw new IngestSchemaError(`the ingest tables are missing (${err instanceof Error ? err.message : String(err)}): run a current decnet against this database so it migrates, then restart ingest`);
        const message = err instanceof Error ? err.message : String(err);
        this.lastError = message;
        this.stats.retries++;
        this.opts.log.warn({ source: this.state.id, err: message, retry_ms: this.opts.retryMs ?? 5000 }, 'ingest batch failed; retrying (a file loses nothing: its offset was not committed)');
        await this.opts.store.db.repos.ingestSources.save({ ...this.state, lastError: message.slice(0, 1000) }).catch(() => undefined);
        await this.opts.clock.sleep(this.opts.retryMs ?? 5000, this.opts.signal);
      }
    }
  }
}
