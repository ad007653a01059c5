/**
 * What wakes a following tail (src/ingest/sources/change-waiter.ts), over real files and
 * real inotify watches: the file's own changes, not its neighbours'; its folder only while
 * it is missing; a rotation followed to the new file. The poll timer runs on a FakeClock
 * that never moves, so every wake seen here came from a watch event. Waits are conditions
 * with a safety limit, never timings.
 */
import { appendFileSync, closeSync, mkdtempSync, openSync, renameSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../../src/bus/index.js';
import { ChangeWaiter } from '../../src/ingest/sources/change-waiter.js';
import { until } from '../support/events.js';

let dir: string;
const closers: Array<{ close(): void }> = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dn-waiter-'));
});
afterEach(() => {
  for (const c of closers.splice(0)) c.close();
  rmSync(dir, { recursive: true, force: true });
});

const clock = new FakeClock();
const never = new AbortController().signal;

function waiterOn(path: string): ChangeWaiter {
  const w = new ChangeWaiter(path, silentLogger);
  closers.push(w);
  return w;
}

/**
 * Writes `sibling` `times` times and resolves once a watch of the folder of our own has
 * seen the last of those writes. libuv reads every watch's events from one inotify
 * descriptor, in order, so by then a folder watch inside the waiter would have fired too.
 */
async function writeBeside(sibling: string, times: number): Promise<void> {
  let seen = 0;
  const probe: FSWatcher = watch(dir, { persistent: false }, (_e, file) => {
    if (String(file) === 'done.marker') seen++;
  });
  closers.push(probe);
  for (let i = 0; i < times; i++) appendFileSync(sibling, `line ${i}\n`);
  writeFileSync(join(dir, 'done.marker'), 'x');
  await until(() => seen > 0, 'the probe saw the writes beside the file');
  await new Promise((r) => setImmediate(r));
}

/** Waits on `w` while `change` happens: hangs (the FakeClock never moves) unless a watch event wakes it. */
async function wokenBy(w: ChangeWaiter, change: () => void): Promise<void> {
  const woken = w.wait(clock, 60_000, never);
  change();
  await woken;
}

describe('change waiter', () => {
  it('watches the file itself: writes to other files in its folder do not wake it, its own append does', async () => {
    const path = join(dir, 'honeypot.log');
    writeFileSync(path, 'first\n');
    const w = waiterOn(path);
    expect(w.target).toBe('file');

    await writeBeside(join(dir, 'decnet.db-wal'), 200);
    expect(w.wakes).toBe(0);

    await wokenBy(w, () => appendFileSync(path, 'second\n'));
    expect(w.wakes).toBeGreaterThan(0);
  });

  it('a missing file: its folder is watched for the name, and the file once it is created', async () => {
    const path = join(dir, 'later.log');
    const w = waiterOn(path);
    expect(w.target).toBe('folder');

    await writeBeside(join(dir, 'other.log'), 5);
    expect(w.wakes).toBe(0);

    await wokenBy(w, () => writeFileSync(path, 'hello\n'));
    expect(w.target).toBe('file');

    await wokenBy(w, () => appendFileSync(path, 'more\n'));
  });

  it('rotation: a rename wakes it and the folder is watched until the new file is there, then that file', async () => {
    const path = join(dir, 'cowrie.json');
    writeFileSync(path, '{}\n');
    const w = waiterOn(path);

    await wokenBy(w, () => renameSync(path, `${path}.1`));
    await until(() => w.target === 'folder', 'the waiter falls back to the folder');

    // the old file's writes no longer count: it is not at the path
    const wakesAfterRename = w.wakes;
    await writeBeside(`${path}.1`, 5);
    expect(w.wakes).toBe(wakesAfterRename);

    await wokenBy(w, () => writeFileSync(path, '{"new":true}\n'));
    await until(() => w.target === 'file', 'the waiter watches the new file');

    await wokenBy(w, () => appendFileSync(path, '{"n":2}\n'));
  });

  it('a file moved over the path while the old one is open: rearm watches the new one', async () => {
    const path = join(dir, 'opencanary.log');
    writeFileSync(path, 'old\n');
    const held = openSync(path, 'r'); // the tail holds the old file: its inode outlives the move
    closers.push({ close: () => closeSync(held) });
    const w = waiterOn(path);

    const fresh = join(dir, 'opencanary.log.new');
    writeFileSync(fresh, 'new\n');
    await wokenBy(w, () => renameSync(fresh, path));
    w.rearm();
    expect(w.target).toBe('file');
    await wokenBy(w, () => appendFileSync(path, 'appended to the new file\n'));
  });

  it('a change between waits is not lost: the next wait returns at once', async () => {
    const path = join(dir, 'early.log');
    writeFileSync(path, '');
    const w = waiterOn(path);
    appendFileSync(path, 'before the wait\n');
    await until(() => w.wakes > 0, 'the append is seen');
    await w.wait(clock, 60_000, never); // would hang (the FakeClock never moves) if the change were lost
    expect(clock.pending).toBe(0);
  });

  it('the poll tick and abort end a wait; close stops watching', async () => {
    const path = join(dir, 'quiet.log');
    writeFileSync(path, '');
    const w = waiterOn(path);

    const ticked = w.wait(clock, 1_000, never);
    clock.advance(1_000);
    await ticked;

    const ctl = new AbortController();
    const aborted = w.wait(clock, 60_000, ctl.signal);
    ctl.abort();
    await aborted;
    expect(clock.pending).toBe(0);

    w.close();
    expect(w.target).toBe('none');
    await writeBeside(path, 3);
    expect(w.wakes).toBe(0);
  });
});
