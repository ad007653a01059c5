/** The background WAL flusher: on real SQLite files, and its scheduling with a flush held open. */
import { mkdtemp, readdir, readlink, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newEventId, silentLogger, type Logger } from '../../src/bus/index.js';
import { openDatabase } from '../../src/db/index.js';
import { WalFlusher } from '../../src/db/wal-flusher.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'decnet-wal-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** This process's open descriptors on `path`. */
async function openDescriptors(path: string): Promise<number> {
  let n = 0;
  for (const fd of await readdir('/proc/self/fd')) if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) === path) n++;
  return n;
}

/** A WAL database on disk with one table, written through better-sqlite3 itself. */
function walDatabase(): { path: string; sqlite: BetterSqlite3.Database; commit(): void } {
  const path = join(home, 'w.db');
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table t (v text)');
  const insert = sqlite.prepare('insert into t (v) values (?)');
  return { path, sqlite, commit: () => insert.run('x'.repeat(2000)) };
}

/** A sync that records which file it was given and waits until the test releases it. */
function heldSync() {
  const files: number[] = [];
  const releases: (() => void)[] = [];
  return {
    files,
    get pending() {
      return releases.length;
    },
    release: () => releases.shift()?.(),
    sync: async (file: FileHandle) => {
      files.push((await file.stat()).ino);
      await new Promise<void>((resolve) => releases.push(resolve));
    },
  };
}

describe('WalFlusher', () => {
  it('after a commit, syncs the WAL file itself, on a descriptor of its own that close gives back', async () => {
    const wal = walDatabase();
    const held = heldSync();
    const flusher = new WalFlusher({ path: `${wal.path}-wal`, log: silentLogger, sync: held.sync, spacingMs: 0 });
    wal.commit();
    flusher.committed();
    await vi.waitFor(() => expect(held.pending).toBe(1));
    expect(held.files).toEqual([(await stat(`${wal.path}-wal`)).ino]);
    expect(await openDescriptors(`${wal.path}-wal`)).toBe(2); // SQLite's and the flusher's
    held.release();
    await flusher.close();
    expect(flusher.stats).toEqual({ flushes: 1, failures: 0 });
    expect(await openDescriptors(`${wal.path}-wal`)).toBe(1);
    wal.sqlite.close();
  });

  it('folds the commits made while a flush runs into one more flush', async () => {
    const wal = walDatabase();
    const held = heldSync();
    const flusher = new WalFlusher({ path: `${wal.path}-wal`, log: silentLogger, sync: held.sync, spacingMs: 0 });
    flusher.committed();
    await vi.waitFor(() => expect(held.pending).toBe(1));
    for (let i = 0; i < 5; i++) {
      wal.commit();
      flusher.committed();
    }
    held.release();
    await vi.waitFor(() => expect(held.pending).toBe(1));
    held.release();
    await vi.waitFor(() => expect(flusher.stats.flushes).toBe(2));
    expect(held.pending).toBe(0);
    await flusher.close();
    expect(held.files).toHaveLength(2);
    wal.sqlite.close();
  });

  it('does nothing without a commit, and nothing after close', async () => {
    const wal = walDatabase();
    const sync = vi.fn(async () => undefined);
    const flusher = new WalFlusher({ path: `${wal.path}-wal`, log: silentLogger, sync, spacingMs: 0 });
    await new Promise((r) => setImmediate(r));
    await flusher.close();
    flusher.committed();
    await new Promise((r) => setImmediate(r));
    expect(sync).not.toHaveBeenCalled();
    expect(await openDescriptors(`${wal.path}-wal`)).toBe(1);
    wal.sqlite.close();
  });

  it('logs a failed flush once, names the file, and keeps flushing later commits', async () => {
    const wal = walDatabase();
    const warn = vi.fn();
    const log: Logger = { ...silentLogger, warn };
    const sync = vi.fn(async () => {
      throw new Error('EIO: i/o error, fdatasync');
    });
    const flusher = new WalFlusher({ path: `${wal.path}-wal`, log, sync, spacingMs: 0 });
    flusher.committed();
    await vi.waitFor(() => expect(flusher.stats.failures).toBe(1));
    flusher.committed();
    await vi.waitFor(() => expect(flusher.stats.failures).toBe(2));
    await flusher.close();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toEqual({ path: `${wal.path}-wal`, err: 'EIO: i/o error, fdatasync' });
    wal.sqlite.close();
  });

  it('counts a WAL that does not exist as a failure, not a crash', async () => {
    const flusher = new WalFlusher({ path: join(home, 'none.db-wal'), log: silentLogger, spacingMs: 0 });
    flusher.committed();
    await vi.waitFor(() => expect(flusher.stats.failures).toBe(1));
    await flusher.close();
    expect(flusher.stats.flushes).toBe(0);
  });

  it('runs behind openDatabase on a SQLite file: flushes after writes, lets go of the WAL on close', async () => {
    const db = await openDatabase({ url: `sqlite:${join(home, 'decnet.db')}`, home });
    const walPath = join(home, 'decnet.db-wal');
    await db.write(async (tx) => db.repos.journal.append(tx, { topic: 'ttp.tagged', type: 'tagged', id: newEventId(), ts: 1, payload: {} }), { locks: ['events'] });
    await vi.waitFor(async () => expect(await openDescriptors(walPath)).toBe(2));
    await db.close();
    expect(await openDescriptors(walPath)).toBe(0);
  });
});
