/**
 * `decnet correlate` as a process (the built CLI, SQLite): SIGKILL mid-pass, restart
 * with `--once`, and the derived rows and journal equal a clean run on a copy of the
 * same input — no event counted twice, none skipped (analysis.md §1.6). Then
 * `--rebuild` over the result reproduces it and prints its summary.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bus/index.js';
import { openDatabase, type Db } from '../../src/db/index.js';
import { until } from '../support/events.js';
import { cleanUpAfterEach, ensureBuilt, spawnCli, type Spawned } from '../support/cli.js';
import { journalCounts, portable, snapshotDerived } from './snapshot.js';
import { ingest, type CredSpec, type LineSpec } from './support.js';

beforeAll(() => ensureBuilt());

const { running, homes, dbs } = cleanUpAfterEach();

function home(): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'dn-correlate-cli-'));
  homes.push(dir);
  return {
    dir,
    env: {
      DECNET_HOME: dir,
      DECNET_DATABASE_URL: `sqlite:${join(dir, 'decnet.db')}`,
      DECNET_BUS_TYPE: 'null',
      DECNET_BUS_SOCKET: join(dir, 'bus.sock'),
      DECNET_LOG_LEVEL: 'warn',
      DECNET_ANALYSIS_BATCH: '20',
      // results that do not depend on when the passes ran (the real clock)
      DECNET_PROFILE_BEHAVIOR_INTERVAL_SECS: '0',
      DECNET_SCORED_MIN_INTERVAL_SECS: '0',
    },
  };
}

async function open(dir: string): Promise<Db> {
  const db = await openDatabase({ url: `sqlite:${join(dir, 'decnet.db')}`, home: dir, log: silentLogger });
  dbs.push(db);
  return db;
}

/** 40 addresses over three deckies: scans, commands, sessions, and passwords reused across deckies. */
async function populate(db: Db, rows: number): Promise<void> {
  const SERVICES = ['ssh', 'http', 'ftp', 'ssh'];
  for (let from = 0; from < rows; from += 500) {
    const lines: LineSpec[] = [];
    const creds: CredSpec[] = [];
    for (let i = from; i < Math.min(rows, from + 500); i++) {
      const ip = `192.0.2.${(i % 40) + 1}`;
      const decky = `decky-0${(i % 3) + 1}`;
      const base = { s: i * 0.5, ip, decky, service: SERVICES[i % 4] as string };
      if (i % 10 === 3) lines.push({ ...base, service: 'ssh', type: 'command', fields: { command: `echo ${i}`, session: `s${i % 7}` } });
      else if (i % 97 === 5) lines.push({ ...base, service: 'ssh', type: 'session_recorded', fields: { sid: `s${i % 7}`, session: `s${i % 7}`, duration_s: '60' } });
      else lines.push({ ...base, type: i % 11 === 0 ? 'unknown_packet' : 'connect' });
      if (i % 13 === 0) creds.push({ ...base, principal: 'root', secret: ['toor', '123456', 'admin'][i % 3] as string });
    }
    await ingest(db, lines, creds);
  }
}

async function run(args: string[], env: Record<string, string>): Promise<Spawned & { code: number | string }> {
  const s = spawnCli(['correlate', ...args], env);
  running.push(s);
  return Object.assign(s, { code: await s.exited });
}

describe('decnet correlate, killed mid-pass', () => {
  it('restarted with --once, derives exactly what a clean run derives; --rebuild then reproduces it', async () => {
    const killed = home();
    const clean = home();
    const db = await open(killed.dir);
    await populate(db, 4000);
    const head = await db.repos.logs.head();
    await db.close();
    dbs.splice(dbs.indexOf(db), 1);
    copyFileSync(join(killed.dir, 'decnet.db'), join(clean.dir, 'decnet.db'));

    const watch = await open(killed.dir);
    const cursor = async (): Promise<number> => (await watch.repos.cursors.get('correlate', 'logs')) ?? 0;
    const worker = spawnCli(['correlate'], killed.env);
    running.push(worker);
    // some batches in (of about 200): the kill lands wherever the process is then
    await until(async () => (await cursor()) >= 10 * 20, 'ten committed batches', 60_000);
    worker.child.kill('SIGKILL');
    expect(await worker.exited).toBe('SIGKILL');
    expect(await cursor()).toBeLessThan(head); // killed part-way: the restart has work left

    const restarted = await run(['--once'], killed.env);
    expect(restarted.code, restarted.stderr).toBe(0);
    const fresh = await run(['--once'], clean.env);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ attackers: 40, lag_rows: 0, orphans: 0 });

    const other = await open(clean.dir);
    const derived = await snapshotDerived(watch);
    expect(portable(derived)).toEqual(portable(await snapshotDerived(other)));
    expect(await journalCounts(watch)).toEqual(await journalCounts(other));
    const reuse = async (d: Db) => (await d.repos.journal.readAfter(0, { patterns: ['credential.reuse.detected'], limit: 1000 })).map((e) => ({ ...(e.payload as Record<string, unknown>), id: undefined, attacker_uuids: undefined }));
    expect(await reuse(watch)).toEqual(await reuse(other));
    expect((await reuse(watch)).length).toBeGreaterThan(0);

    const rebuilt = await run(['--rebuild'], killed.env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toEqual({ log_rows: head, credential_rows: expect.any(Number), attackers: 40, sessions: expect.any(Number), reuse_findings: derived.credential_reuse.length, complete: true });
    expect(await snapshotDerived(watch)).toEqual(derived);
    expect(await journalCounts(watch)).toEqual(await journalCounts(other));
  }, 180_000);
});
