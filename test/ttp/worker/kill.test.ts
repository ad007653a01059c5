/**
 * kill -9 mid-batch (ttp.md §13 "Storage and worker"): `decnet ttp` (the built CLI, a
 * child process on the unix bus with a real broker started here) works through a
 * database that needs hundreds of batches, is killed with SIGKILL once its `logs` cursor
 * has moved well into the rows but before it reached the head, and is restarted to the end. Against a clean
 * run over the same rows: the same tags (same ids and contents), no duplicate event (each
 * tag id named by exactly one journaled `ttp.tagged` and one `ttp.rule.fired`), no gap.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/bus/broker/index.js';
import { silentLogger } from '../../../src/bus/index.js';
import { openDatabase, type Db, type NewLogRow, type TtpTagRow } from '../../../src/db/index.js';
import { TTP_WORKER } from '../../../src/ttp/worker/index.js';
import { ensureBuilt, spawnCli, type Spawned } from '../../support/cli.js';
import { commandRow, DAY, failedLogin, ttpCaughtUp, until, workerHarness } from './support.js';

const BATCH = '20';
const ADDRESSES = 300;
const TOTAL = 12_000;

/**
 * Rows that fire rules, interleaved so that consecutive rows come from different
 * addresses: per address a row every 30 s over 20 minutes, one `cat /etc/shadow` (R0014)
 * for four failed logins (R0001's aggregate, with its suppression, straddles batches and
 * the kill).
 */
function rows(): NewLogRow[] {
  return Array.from({ length: TOTAL }, (_, j) => {
    const a = j % ADDRESSES;
    const ip = `198.18.${Math.floor(a / 250)}.${(a % 250) + 1}`;
    return Math.floor(j / ADDRESSES) % 5 === 0 ? commandRow('cat /etc/shadow', ip, DAY + j * 100) : failedLogin(j / 10, ip);
  });
}

/** A tag as a comparable fact (seq and created_at are the run's, not the tag's). */
const fact = (t: TtpTagRow): string => JSON.stringify([t.id, t.rule_id, t.technique_id, t.sub_technique_id, t.input_id, t.group_key, t.confidence, t.attacker_ip, t.observed_at]);

async function allTags(db: Db): Promise<TtpTagRow[]> {
  const out: TtpTagRow[] = [];
  for (let offset = 0; ; offset += 500) {
    const { tags } = await db.repos.ttpTags.list({}, { limit: 500, offset });
    out.push(...tags);
    if (tags.length < 500) return out;
  }
}

/** Every tag id named by the journaled events of `pattern`, with repeats. */
async function namedTagIds(db: Db, pattern: string): Promise<string[]> {
  const ids: string[] = [];
  for (let seq = 0; ; ) {
    const page = await db.repos.journal.readAfter(seq, { patterns: [pattern], limit: 1000 });
    if (page.length === 0) return ids;
    for (const row of page) ids.push(...(row.payload.tag_uuids as string[]));
    seq = (page[page.length - 1] as { seq: number }).seq;
  }
}

describe('decnet ttp killed with SIGKILL mid-batch, then restarted', () => {
  const home = mkdtempSync(join(tmpdir(), 'dn-ttp-kill-'));
  const socketPath = join(tmpdir(), `dn-ttp-${randomBytes(4).toString('hex')}.sock`);
  const dbUrl = `sqlite:${join(home, 'decnet.db')}`;
  const env = { DECNET_HOME: home, DECNET_DATABASE_URL: dbUrl, DECNET_BUS_TYPE: 'unix', DECNET_BUS_SOCKET: socketPath, DECNET_TTP_BATCH: BATCH, DECNET_TTP_POLL_SECS: '1', DECNET_LOG_LEVEL: 'warn' };
  const children: Spawned[] = [];
  let broker: Broker;
  let db: Db;

  beforeAll(async () => {
    ensureBuilt();
    broker = await startBroker({ socketPath, log: silentLogger, home });
    db = await openDatabase({ url: dbUrl, home, log: silentLogger });
  }, 180_000);

  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await db?.close();
    await broker?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const startWorker = (): Spawned => {
    const s = spawnCli(['ttp', '--rules-dir', 'off'], env);
    children.push(s);
    return s;
  };
  const logsCursor = async (): Promise<number> => (await db.repos.cursors.get(TTP_WORKER, 'logs')) ?? 0;

  it('writes the same tags as a clean run, each announced exactly once', async () => {
    const data = rows();
    // the clean run: the same rows in a database of their own, the worker in process, never interrupted
    const cleanHome = mkdtempSync(join(tmpdir(), 'dn-ttp-clean-'));
    const clean = await workerHarness({ open: () => openDatabase({ url: `sqlite:${join(cleanHome, 'clean.db')}`, home: cleanHome, log: silentLogger }) });
    let expected: string[];
    try {
      await clean.insertLogs(data);
      await clean.runOnce({ DECNET_TTP_BATCH: BATCH });
      expected = (await allTags(clean.db)).map(fact).sort();
    } finally {
      await clean.close();
      rmSync(cleanHome, { recursive: true, force: true });
    }
    expect(expected.length).toBeGreaterThan(TOTAL / 5);

    await db.write((tx) => db.repos.logs.insertMany(tx, data), { locks: ['logs'] });
    const head = await db.repos.logs.head();
    const first = startWorker();
    // well into the rows, so that R0001's groups and suppressions straddle the kill
    await until(async () => (await logsCursor()) >= TOTAL / 6, 'the first worker to be under way', 60_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const killedAt = await logsCursor();
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(head);

    const second = startWorker();
    await until(() => ttpCaughtUp(db), 'the restarted worker to reach the head', 120_000);
    // the process adds its control topic to runTtp's ten patterns (§1.4)
    await until(() => broker.stats().per_connection.some((c) => c.name === 'decnet-ttp'), 'the worker on the broker');
    expect(broker.stats().per_connection.filter((c) => c.name === 'decnet-ttp').map((c) => c.patterns)).toEqual([11]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const tags = await allTags(db);
    expect(tags.map(fact).sort()).toEqual(expected);
    const ids = tags.map((t) => t.id).sort();
    for (const pattern of ['ttp.tagged', 'ttp.rule.fired.*']) expect((await namedTagIds(db, pattern)).sort()).toEqual(ids);
    process.stderr.write(`ttp kill test: killed at logs cursor ${killedAt} of ${head}; ${tags.length} tags\n`);
  }, 300_000);
});
