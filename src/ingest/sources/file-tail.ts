/**
 * Tailing a file exactly once into the database (eventplane.md §8.3). The committed state
 * (`ingest_sources`: dev, inode, head hash, offset) moves in the same transaction as the
 * rows it produced (batcher.ts), and only complete lines are consumed, so a restart — a
 * kill -9 included — resumes at the first line not committed: no duplicates, no gaps.
 *
 * - **Start**: the same dev/inode whose first min(1 KiB, offset) bytes still hash the same
 *   and whose size is not below the offset resumes at the offset; a different identity or
 *   hash is a new file (read from 0); a smaller size is a truncation (from 0, counted).
 * - **Rotation** (the path names another dev/inode): the old file is read to its end (a
 *   final partial line counts), committed, and the new one is read from 0.
 * - **Truncation** (same inode, size below what was read): restart at 0, warn, count.
 * - **Following**, the tail wakes on a change to the file (`fs.watch` on the file; on its
 *   folder only while the file is missing) or a 1 s stat fallback (change-waiter.ts).
 * - **A missing file** is waited for when following.
 * - **Without `follow`** the file is read to its end, the final partial line included.
 */
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Clock, Logger } from '../../bus/index.js';
import type { SourceBatcher } from '../batcher.js';
import { ChangeWaiter } from './change-waiter.js';
import { LineSplitter, rawLineOf, type SplitLine } from './lines.js';

const HEAD_BYTES = 1024;

export interface FileTailOptions {
  readonly batcher: SourceBatcher;
  readonly path: string;
  readonly follow: boolean;
  /** DECNET_INGEST_MAX_LINE, bytes. */
  readonly maxLine: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The stat fallback while following (ms, default 1000). */
  readonly pollMs?: number;
  /** Bytes per read (default 64 KiB). */
  readonly chunkBytes?: number;
}

/** The file named by a tail does not exist (without --follow). */
export class MissingFileError extends Error {
  override readonly name = 'MissingFileError';
}

interface Identity {
  readonly dev: string;
  readonly inode: string;
}

const sameIdentity = (a: Identity, b: Identity): boolean => a.dev === b.dev && a.inode === b.inode;

async function identityOf(handle: FileHandle): Promise<Identity & { size: number }> {
  const s = await handle.stat({ bigint: true });
  return { dev: s.dev.toString(), inode: s.ino.toString(), size: Number(s.size) };
}

async function pathIdentity(path: string): Promise<(Identity & { size: number }) | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return { dev: s.dev.toString(), inode: s.ino.toString(), size: Number(s.size) };
  } catch {
    return undefined;
  }
}

async function readHead(handle: FileHandle, bytes: number): Promise<Buffer> {
  const buf = Buffer.alloc(bytes);
  const { bytesRead } = await handle.read(buf, 0, bytes, 0);
  return buf.subarray(0, bytesRead);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Reads `opts.path` into its batcher until the end (or, following, until the signal). */
export async function tailFile(opts: FileTailOptions): Promise<void> {
  const { batcher, path, clock, log, signal } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const buf = Buffer.allocUnsafe(opts.chunkBytes ?? 64 * 1024);
  // without follow nothing waits: no watch
  const waiter = opts.follow ? new ChangeWaiter(path, log) : undefined;
  // an unref'd clock timer cannot keep a follower alive on its own
  const keepAlive = opts.follow ? setInterval(() => undefined, 3_600_000) : undefined;
  let handle: FileHandle | undefined;
  try {
    handle = await openWhenPresent();
    if (!handle) return;
    let id = await identityOf(handle);
    let head: Buffer = Buffer.alloc(0);
    const hasher = (offset: number): string => sha256(head.subarray(0, Math.min(HEAD_BYTES, offset)));
    let position = await startOffset(handle, id);
    head = await readHead(handle, Math.min(HEAD_BYTES, position));
    await batcher.setIdentity(id.dev, id.inode, position, hasher);
    const splitter = new LineSplitter(opts.maxLine, position);

    const consume = async (lines: readonly SplitLine[]): Promise<void> => {
      const receivedAt = clock.isoNow(); // one read, one receive time
      for (const line of lines) {
        const wait = batcher.add(rawLineOf(line, receivedAt));
        if (wait) await wait;
      }
    };
    /** Reads from `position` to the current end; returns bytes read. */
    const drain = async (h: FileHandle): Promise<number> => {
      let total = 0;
      for (;;) {
        const { bytesRead } = await h.read(buf, 0, buf.length, position);
        if (bytesRead === 0) return total;
        // head holds the file's bytes [0, min(1 KiB, position))
        if (position < HEAD_BYTES) head = Buffer.concat([head.subarray(0, position), buf.subarray(0, Math.min(bytesRead, HEAD_BYTES - position))]);
        position += bytesRead;
        total += bytesRead;
        await consume(splitter.push(buf.subarray(0, bytesRead)));
      }
    };

    for (;;) {
      await drain(handle);
      if (!opts.follow) {
        const last = splitter.finish();
        if (last) await consume([last]);
        await batcher.flush();
        return;
      }
      await batcher.flush();
      if (signal.aborted) return;
      await waiter?.wait(clock, pollMs, signal);
      if (signal.aborted) return;

      const now = await pathIdentity(path);
      if (now !== undefined && !sameIdentity(now, id)) {
        // rotation: finish the old file (its final partial line counts), then the new one from 0
        await drain(handle);
        const last = splitter.finish();
        if (last) await consume([last]);
        await batcher.flush();
        await handle.close();
        handle = await open(path, 'r');
        id = await identityOf(handle);
        waiter?.rearm();
        position = 0;
        head = Buffer.alloc(0);
        splitter.reset(0);
        batcher.noteRotation();
        await batcher.setIdentity(id.dev, id.inode, 0, hasher);
        log.info({ path, dev: id.dev, inode: id.inode }, 'ingest: file rotated; reading the new one from the start');
        continue;
      }
      const { size } = await identityOf(handle);
      if (size < position) {
        log.warn({ path, size, offset: position }, 'ingest: file truncated; reading it again from the start');
        position = 0;
        head = Buffer.alloc(0);
        splitter.reset(0);
        batcher.noteTruncation();
        await batcher.setIdentity(id.dev, id.inode, 0, hasher);
      }
    }
  } finally {
    waiter?.close();
    if (keepAlive) clearInterval(keepAlive);
    await handle?.close().catch(() => undefined);
  }

  async function openWhenPresent(): Promise<FileHandle | undefined> {
    for (;;) {
      try {
        return await open(path, 'r');
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
        if (!opts.follow) throw new MissingFileError(`${path}: no such file`);
        if (signal.aborted) return undefined;
        await waiter?.wait(clock, pollMs, signal);
        if (signal.aborted) return undefined;
      }
    }
  }

  /** Where a (re)started tail resumes in the file it opened. */
  async function startOffset(h: FileHandle, current: Identity & { size: number }): Promise<number> {
    const s = batcher.state;
    if (s.dev === null || s.inode === null) return 0;
    if (!sameIdentity(current, { dev: s.dev, inode: s.inode })) {
      log.info({ path, was: `${s.dev}:${s.inode}`, now: `${current.dev}:${current.inode}` }, 'ingest: a new file at the path; reading it from the start');
      batcher.noteRotation();
      return 0;
    }
    if (current.size < s.offset) {
      log.warn({ path, size: current.size, offset: s.offset }, 'ingest: file truncated while stopped; reading it from the start');
      batcher.noteTruncation();
      return 0;
    }
    const headHash = sha256(await readHead(h, Math.min(HEAD_BYTES, s.offset)));
    if (s.headHash !== null && headHash !== s.headHash) {
      log.info({ path }, 'ingest: the file at the path changed (first KiB differs); reading it from the start');
      batcher.noteRotation();
      return 0;
    }
    return s.offset;
  }
}
