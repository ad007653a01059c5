/**
 * What wakes a following file tail: a change to the file it reads, a poll tick, or abort.
 *
 * The watch is on the file itself while it exists, not on its folder. A folder watch
 * reports every write to every file in it: with the database beside the log (the bench,
 * or a log kept in DECNET_HOME) each WAL page written raised an event for the tail to read
 * and drop — two per page, ~400 per commit, about a tenth of ingest's time. Only while the
 * file is missing (not created yet, or renamed away by a rotation) is the folder watched,
 * for its name, until the file is back.
 *
 * inotify can miss events and watches can run out: the poll tick (the tail's `pollMs`)
 * stays the fallback, so a watch that fails only costs latency; it is tried again at the
 * next wait.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Clock, Logger } from '../../bus/index.js';

export class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private watching: 'file' | 'folder' | 'none' = 'none';
  private wake: (() => void) | undefined;
  private dirty = false;
  private closed = false;
  private readonly name: string;
  private woken = 0;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.name = basename(path);
    this.arm();
  }

  /** What is watched now: the file, its folder (the file is missing), or nothing (polling only). */
  get target(): 'file' | 'folder' | 'none' {
    return this.watching;
  }

  /** Times a watch event woke (or would have woken) the tail. */
  get wakes(): number {
    return this.woken;
  }

  /** Resolves on the next change, after `ms`, or on abort; at once if a change came since the last wait. */
  async wait(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
    if (this.watching === 'none') this.arm(); // a watch that failed is tried again, once per wait
    if (this.dirty || signal.aborted) {
      this.dirty = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
    this.dirty = false;
  }

  /**
   * The path names another file now (the tail saw a new dev/inode there): watch that one.
   * A file moved over the path while the tail holds the old one open raises no rename on
   * the old inode's watch, only a change.
   */
  rearm(): void {
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.unwatch();
  }

  private notify(): void {
    this.woken++;
    this.dirty = true;
    this.wake?.();
  }

  /**
   * Watches the file when it exists, else its folder. After switching to the folder it
   * looks again, so a file created meanwhile is not missed; `retry` bounds that to once
   * (a file that exists but cannot be watched stays on the folder watch).
   */
  private arm(retry = true): void {
    if (this.closed) return;
    if (existsSync(this.path) && this.start('file', this.path, (event) => this.onFileEvent(event))) return;
    if (this.start('folder', dirname(this.path), (_event, file) => this.onFolderEvent(file)) && retry && existsSync(this.path)) {
      this.notify();
      this.arm(false);
    }
  }

  private onFileEvent(event: string): void {
    this.notify();
    // moved away or deleted: this watch follows the old inode; wait for the name instead
    if (event === 'rename') this.arm();
  }

  private onFolderEvent(file: string | Buffer | null): void {
    if (file !== null && String(file) !== this.name) return;
    this.notify();
    if (existsSync(this.path)) this.arm();
  }

  private start(kind: 'file' | 'folder', target: string, listener: (event: string, file: string | Buffer | null) => void): boolean {
    this.unwatch();
    try {
      const watcher = watch(target, { persistent: false }, listener);
      watcher.on('error', () => {
        if (this.watcher !== watcher) return;
        this.unwatch();
        this.log.debug({ path: this.path, watching: kind }, 'fs.watch failed; polling, and trying it again at the next wait');
      });
      this.watcher = watcher;
      this.watching = kind;
      return true;
    } catch (err) {
      // ENOENT when the file went between the check and the watch; ENOSPC when watches run out
      this.log.debug({ path: this.path, watching: kind, err: err instanceof Error ? err.message : String(err) }, 'fs.watch unavailable; polling');
      return false;
    }
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watching = 'none';
  }
}
