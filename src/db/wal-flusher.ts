/**
 * Writes a SQLite WAL file's new pages out to disk in the background, so that the
 * checkpoint's own fsync finds little left to write.
 *
 * With `synchronous=NORMAL` a commit only copies its pages into the WAL in the page cache;
 * nothing reaches the disk until a checkpoint (every `wal_autocheckpoint` pages) fsyncs
 * the WAL, and that fsync then waits for every page written since the last one. The
 * checkpoint runs in the writer's `COMMIT`, on the event loop: under a flood of ingest,
 * that was a ~100 ms stall every ~50 batches, most of SQLite's time in bench:ingest.
 *
 * After a commit the flusher runs `fdatasync` on the WAL on libuv's thread pool (one at a
 * time, at least `spacingMs` apart), so the disk writes while the event loop goes on. It
 * changes nothing about durability: SQLite still syncs where and when it always did; some
 * of that writing merely happens earlier. A failed flush is logged once and changes
 * nothing either (SQLite's own fsync reports what matters).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../bus/index.js';

export interface WalFlusherOptions {
  /** The WAL file: the database path + `-wal`. */
  readonly path: string;
  readonly log: Logger;
  /** Least time between the starts of two flushes (ms). */
  readonly spacingMs?: number;
  /** The flush itself; the default is the file's `datasync()` (tests inject one to hold it). */
  readonly sync?: (file: FileHandle) => Promise<void>;
}

export interface WalFlusherStats {
  /** Flushes that completed. */
  readonly flushes: number;
  readonly failures: number;
}

const DEFAULT_SPACING_MS = 50;

export class WalFlusher {
  private file: FileHandle | undefined;
  private dirty = false;
  private closed = false;
  /** The running flush loop, while there is one. */
  private running: Promise<void> | undefined;
  private wake: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private warned = false;
  private counts = { flushes: 0, failures: 0 };

  constructor(private readonly opts: WalFlusherOptions) {}

  get stats(): WalFlusherStats {
    return { ...this.counts };
  }

  /** A transaction committed: the WAL has pages to write out. */
  committed(): void {
    if (this.closed) return;
    this.dirty = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  /** Stops flushing (waits for a flush in flight) and closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.wake !== undefined) {
      clearTimeout(this.wake.timer);
      this.wake.resolve();
    }
    await this.running;
    await this.file?.close();
    this.file = undefined;
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      const started = performance.now();
      await this.flush();
      const rest = (this.opts.spacingMs ?? DEFAULT_SPACING_MS) - (performance.now() - started);
      if (this.dirty && rest > 0) await this.pause(rest);
    }
  }

  /** Real time, not the injected Clock: this paces the disk, which a FakeClock does not drive. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.wake = { timer, resolve };
    });
  }

  private async flush(): Promise<void> {
    try {
      this.file ??= await open(this.opts.path, 'r');
      await (this.opts.sync ?? ((f: FileHandle) => f.datasync()))(this.file);
      this.counts.flushes++;
    } catch (err) {
      this.counts.failures++;
      if (!this.warned) {
        this.warned = true;
        this.opts.log.warn({ path: this.opts.path, err: (err as Error).message }, 'writing the SQLite WAL out in the background failed; checkpoints sync it themselves');
      }
    }
  }
}
