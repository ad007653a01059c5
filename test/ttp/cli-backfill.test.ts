/**
 * `decnet ttp backfill` as a user runs it (ttp.md §9.5, §13 "CLI"; the built CLI): on rows
 * the worker processed it finds every tag already there (`tags_new 0`) and publishes
 * nothing; on rows the worker never saw it writes the tags without moving the worker's
 * cursors, and a second run finds them all; `--dry-run` writes nothing; `--publish`
 * announces new tags only; `--json` prints one object; a bad `--since` is a usage error.
 * "Publishes nothing" is checked in the journal (every `ttp.*` event is journaled) and
 * live, on a real broker the command could reach.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/bus/broker/index.js';
import { silentLogger, UnixBus, type BusEvent } from '../../src/bus/index.js';
import { openDatabase, type Db, type NewLogRow } from '../../src/db/index.js';
import { TTP_WORKER } from '../../src/ttp/worker/index.js';
import { ensureBuilt, spawnCli } from '../support/cli.js';
import { commandRow, example, failedLogin, until, workerHarness } from './worker/support.js';

const HOUR = 3_600_000;
const SUMMARY = /^inputs (\d+), tags_new (\d+), tags_existing (\d+), linked (\d+), elapsed_s (\d+(?:\.\d+)?)$/;

/** Seven acts within the last day (two commands, five failed logins: R0014, R0018, R0001) and one 40 days old. */
function rows(now: number): NewLogRow[] {
  return [
    commandRow('cat /etc/shadow', '192.0.2.50', now - 2 * HOUR),
    commandRow('uname -a', '192.0.2.50', now - 2 * HOUR + 1000),
    ...[0, 30, 60, 90, 120].map((s) => failedLogin(s, '192.0.2.51', now - 3 * HOUR)),
    commandRow('cat /etc/shadow', '192.0.2.52', now - 40 * 24 * HOUR),
  ];
}
const RECENT_INPUTS = 7;
/** Named, so that a DECNET_DATABASE_URL in the test's environment cannot send the command elsewhere. */
const dbUrlOf = (home: string): string => `sqlite:${join(home, 'decnet.db')}`;

interface Summary {
  inputs: number;
  tags_new: number;
  tags_existing: number;
  linked: number;
  elapsed_s: number;
}

describe('decnet ttp backfill', () => {
  const dirs: string[] = [];
  const socketPath = join(tmpdir(), `dn-ttpbf-${randomBytes(4).toString('hex')}.sock`);
  let broker: Broker;
  let observer: UnixBus;
  let sentinel: UnixBus;
  const seen: BusEvent[] = [];
  const dbs: Db[] = [];

  beforeAll(async () => {
    ensureBuilt();
    const brokerHome = mkdtempSync(join(tmpdir(), 'dn-ttpbf-broker-'));
    dirs.push(brokerHome);
    broker = await startBroker({ socketPath, log: silentLogger, home: brokerHome });
    observer = new UnixBus({ name: 'observer', socketPath, log: silentLogger });
    sentinel = new UnixBus({ name: 'sentinel', socketPath, log: silentLogger });
    await observer.connect({ timeoutMs: 5000 });
    await sentinel.connect({ timeoutMs: 5000 });
    const sub = observer.subscribe('>');
    await sub.ready;
    void (async () => {
      for await (const e of sub) seen.push(e);
    })();
  }, 180_000);

  afterAll(async () => {
    for (const db of dbs) await db.close();
    await observer?.close();
    await sentinel?.close();
    await broker?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A home whose database holds `data`; returns the home and a handle on its database. */
  const homeWith = async (data: readonly NewLogRow[]): Promise<{ home: string; db: Db }> => {
    const home = mkdtempSync(join(tmpdir(), 'dn-ttpbf-'));
    dirs.push(home);
    const db = await openDatabase({ url: dbUrlOf(home), home, log: silentLogger });
    dbs.push(db);
    if (data.length > 0) await db.write((tx) => db.repos.logs.insertMany(tx, data), { locks: ['logs'] });
    return { home, db };
  };

  /** Runs the command; returns its exit code and output, and the `ttp.*` events it put on the bus. */
  const backfill = async (home: string, args: string[]): Promise<{ code: number | string; stdout: string; stderr: string; published: BusEvent[] }> => {
    const mark = seen.length;
    const s = spawnCli(['ttp', 'backfill', ...args], { DECNET_HOME: home, DECNET_DATABASE_URL: dbUrlOf(home), DECNET_BUS_TYPE: 'unix', DECNET_BUS_SOCKET: socketPath, DECNET_LOG_LEVEL: 'warn' });
    const code = await s.exited;
    // the command has exited (its bus flushed first); an event published after that arrives after anything it sent
    const token = randomBytes(8).toString('hex');
    await sentinel.publish('test.sentinel', { token });
    await until(() => seen.slice(mark).some((e) => e.topic === 'test.sentinel' && (e.payload as { token?: string }).token === token), 'the sentinel');
    return { code, stdout: s.stdout, stderr: s.stderr, published: seen.slice(mark).filter((e) => e.topic.startsWith('ttp.')) };
  };

  /** The last line of standard output, parsed. */
  const summaryOf = (stdout: string): Summary => {
    const last = stdout.trimEnd().split('\n').pop() ?? '';
    const m = SUMMARY.exec(last);
    if (!m) throw new Error(`last line is not the summary: ${JSON.stringify(last)}`);
    return { inputs: Number(m[1]), tags_new: Number(m[2]), tags_existing: Number(m[3]), linked: Number(m[4]), elapsed_s: Number(m[5]) };
  };

  const tagIds = async (db: Db): Promise<string[]> => (await db.repos.ttpTags.list({}, { limit: 500, offset: 0 })).tags.map((t) => t.id).sort();

  it('after the worker, finds every tag in the window already stored (tags_new 0) and publishes nothing', async () => {
    const now = Date.now();
    const { home, db } = await homeWith(rows(now));
    const worker = await workerHarness({ open: () => openDatabase({ url: dbUrlOf(home), home, log: silentLogger }) });
    try {
      await worker.runOnce();
    } finally {
      await worker.close();
    }
    const stored = await db.repos.ttpTags.list({}, { limit: 500, offset: 0 });
    const inWindow = stored.tags.filter((t) => Date.parse(t.observed_at) >= now - 30 * 24 * HOUR);
    expect(inWindow.length).toBeGreaterThan(0);
    expect(inWindow.length).toBeLessThan(stored.total); // the 40-day-old act is outside --since 30d
    const journalHead = await db.repos.journal.head();

    const r = await backfill(home, ['--since', '30d']);
    expect(r.code).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ inputs: RECENT_INPUTS, tags_new: 0, tags_existing: inWindow.length, linked: 0 });
    expect(r.published).toEqual([]);
    expect(await db.repos.journal.head()).toBe(journalHead);
    expect(await tagIds(db)).toEqual(stored.tags.map((t) => t.id).sort());
  });

  it('on rows the worker never saw: --dry-run writes nothing, the first run writes the tags, a second finds them all; --publish announces new tags only', async () => {
    const now = Date.now();
    const { home, db } = await homeWith(rows(now));

    const dry = await backfill(home, ['--since', '30d', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const would = JSON.parse(lines[0] as string) as Summary;
    expect(Object.keys(would).sort()).toEqual(['elapsed_s', 'inputs', 'linked', 'tags_existing', 'tags_new']);
    expect(would).toMatchObject({ inputs: RECENT_INPUTS, tags_existing: 0, linked: 0 });
    expect(would.tags_new).toBeGreaterThan(0);
    expect(await tagIds(db)).toEqual([]);
    expect(await db.repos.journal.head()).toBe(0);
    expect(dry.published).toEqual([]);

    const first = await backfill(home, ['--since', '30d']);
    expect(first.code).toBe(0);
    expect(first.stdout.trimEnd().split('\n').pop()).toMatch(new RegExp(`^inputs ${RECENT_INPUTS}, tags_new ${would.tags_new}, tags_existing 0, linked 0, elapsed_s \\d+(\\.\\d+)?$`));
    const written = await tagIds(db);
    expect(written).toHaveLength(would.tags_new);
    expect(first.published).toEqual([]);
    expect(await db.repos.journal.head()).toBe(0);
    // the worker's cursors do not move
    expect(await db.repos.cursors.get(TTP_WORKER, 'logs')).toBeUndefined();
    expect(await db.repos.cursors.get(TTP_WORKER, 'events')).toBeUndefined();

    const second = await backfill(home, ['--since', '30d', '--publish']);
    expect(second.code).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ inputs: RECENT_INPUTS, tags_new: 0, tags_existing: would.tags_new, linked: 0 });
    expect(second.published).toEqual([]);
    expect(await db.repos.journal.head()).toBe(0);
    expect(await tagIds(db)).toEqual(written);

    // a new act: --publish journals and publishes the new tags, and only them
    await db.write((tx) => db.repos.logs.insertMany(tx, [commandRow('cat /etc/shadow', '192.0.2.53', now - HOUR)]), { locks: ['logs'] });
    const third = await backfill(home, ['--since', '1d', '--publish']);
    expect(third.code).toBe(0);
    expect(summaryOf(third.stdout)).toMatchObject({ inputs: RECENT_INPUTS + 1, tags_new: 1, tags_existing: would.tags_new });
    const fresh = (await tagIds(db)).filter((id) => !written.includes(id));
    expect(fresh).toHaveLength(1);
    const tagged = third.published.filter((e) => e.topic === 'ttp.tagged');
    expect(tagged.map((e) => e.payload.tag_uuids)).toEqual([fresh]);
    expect(third.published.map((e) => e.topic).sort()).toEqual(['ttp.rule.fired.T1003', 'ttp.tagged']);
    // journaled as published (the unix broker re-mints the live envelope, so compare topics and payloads)
    const journal = await db.repos.journal.readAfter(0, { limit: 10 });
    const shape = (e: { topic: string; payload: unknown }): string => JSON.stringify([e.topic, e.payload]);
    expect(journal.map(shape).sort()).toEqual(third.published.map(shape).sort());
  });

  it('links stored tags to an attacker that appeared after the worker tagged them, as the worker does (ISO --since)', async () => {
    const { home, db } = await homeWith([]);
    const h = await workerHarness({ open: () => openDatabase({ url: dbUrlOf(home), home, log: silentLogger }) });
    try {
      await h.ingest(example('cowrie.json'), 'cowrie'); // 2026-05-01
      await h.runOnce();
      await h.correlate({ announce: false });
    } finally {
      await h.close();
    }
    const ip = '198.51.100.23';
    const unlinked = (await db.repos.ttpTags.list({ attacker_ip: ip }, { limit: 500, offset: 0 })).tags;
    expect(unlinked.length).toBeGreaterThan(0);
    expect(unlinked.every((t) => t.attacker_uuid === null)).toBe(true);
    const uuid = (await db.repos.attackers.findByIp(ip))?.id;
    expect(uuid).toBeDefined();
    const journalHead = await db.repos.journal.head();

    const r = await backfill(home, ['--since', '2026-04-01T00:00:00Z', '--until', '2026-06-01T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ tags_new: 0, tags_existing: unlinked.length, linked: unlinked.length });
    expect((await db.repos.ttpTags.list({ attacker_ip: ip }, { limit: 500, offset: 0 })).tags.every((t) => t.attacker_uuid === uuid)).toBe(true);
    expect(r.published).toEqual([]);
    expect(await db.repos.journal.head()).toBe(journalHead);
  });

  it('a bad --since is a usage error (exit 2) with a one-line reason', async () => {
    const { home } = await homeWith([]);
    for (const since of ['yesterday', '7x', '']) {
      const r = await backfill(home, ['--since', since]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^decnet: --since expects an ISO time .* or an age such as 7d/);
    }
  });
});
