/**
 * The watched rules directory (ttp.md §5.2, CORRECTIONS #9.7). Events are debounced per
 * file: a name is read `debounceMs` after its last event, so write-in-place,
 * temp-then-rename, truncate-then-write and delete-then-create each give one change. A
 * file that fails validation is read once more after twice the debounce (an editor may
 * still be writing) before it is reported. Every `rescanSecs` the directory is listed and
 * what moved (name, size, mtime) is read again — inotify misses events — and the watch is
 * re-armed if the directory was replaced. Changes are detected by content hash.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../../bus/index.js';
import { CandidateBook } from './book.js';
import { RuleDirectory, type FileState } from './directory.js';
import { Serial } from './serial.js';
import type { Candidate, RuleStore, StoreOptions } from './types.js';
import { DirectoryWatch } from './watch.js';

export interface FilesystemStoreOptions extends StoreOptions {
  /** `DECNET_TTP_FS_DEBOUNCE_MS`. */
  readonly debounceMs?: number;
  /** `DECNET_TTP_FS_RESCAN_SECS`. */
  readonly rescanSecs?: number;
  /** false: the rescan alone finds changes. */
  readonly watch?: boolean;
}

export class FilesystemStore implements RuleStore {
  readonly source = 'filesystem' as const;
  readonly dir: string;
  private readonly serial = new Serial();
  private readonly book: CandidateBook;
  private readonly directory: RuleDirectory;
  private readonly watcher: DirectoryWatch | null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private readonly rescanMs: number;
  /** Per name: its debounce or its second-read timer. */
  private readonly timers = new Map<string, TimerHandle>();
  private rescanTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(dir: string, opts: FilesystemStoreOptions) {
    this.dir = resolve(dir);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.debounceMs = opts.debounceMs ?? 50;
    this.rescanMs = (opts.rescanSecs ?? 10) * 1000;
    this.book = new CandidateBook(this.source, this.serial, opts);
    this.directory = new RuleDirectory(this.dir, this.source, opts.validator, this.book, this.log);
    this.watcher = opts.watch === false ? null : new DirectoryWatch(this.dir, (name) => this.schedule(name, this.debounceMs, true), this.log);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.stop(), { once: true });
    await mkdir(this.dir, { recursive: true });
    await this.watcher?.ensure(); // before the load, so no write after it goes unseen
    await this.serial.run(() => this.directory.load());
    this.book.goLive();
    if (!signal.aborted) this.nextRescan();
  }

  candidates(): ReadonlyMap<string, Candidate> {
    return this.book.candidates();
  }

  onChange(cb: (ruleId: string) => void): void {
    this.book.onChange(cb);
  }

  /** Every file's view, duplicates included. */
  files(): Map<string, FileState> {
    return this.directory.files();
  }

  private schedule(name: string, ms: number, mayReadAgain: boolean): void {
    if (this.stopped) return;
    this.clock.clearTimeout(this.timers.get(name));
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(name);
      this.serial.run(() => this.process(name, mayReadAgain)).catch((err: unknown) => this.log.error({ err, file: name }, 'reading a rule file failed'));
    }, ms);
    this.timers.set(name, handle);
  }

  private async process(name: string, mayReadAgain: boolean): Promise<void> {
    if (this.stopped) return;
    const read = await this.directory.read(name);
    if (read === 'same') return;
    if (read !== null && read.result.rule === null && read.result.pending.length === 0 && mayReadAgain) {
      this.schedule(name, 2 * this.debounceMs, false);
      return;
    }
    await this.directory.commit(name, read);
  }

  private async rescan(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.watcher?.ensure();
    const listing = await this.directory.list();
    for (const name of new Set([...listing.keys(), ...this.directory.known()])) {
      if (this.timers.has(name) || !this.directory.moved(name, listing.get(name))) continue; // in hand, or unchanged
      await this.process(name, true);
    }
  }

  private nextRescan(): void {
    this.rescanTimer = this.clock.setTimeout(() => {
      this.serial
        .run(() => this.rescan())
        .catch((err: unknown) => this.log.error({ err, dir: this.dir }, 'rescanning the rules directory failed'))
        .finally(() => {
          if (!this.stopped) this.nextRescan();
        });
    }, this.rescanMs);
  }

  private stop(): void {
    this.stopped = true;
    this.book.stop();
    this.watcher?.close();
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    this.clock.clearTimeout(this.rescanTimer);
  }
}
