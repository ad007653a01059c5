/** SQLite specifics: pragmas, AUTOINCREMENT, BEGIN IMMEDIATE waits, the migration lock, the bounded connection wait. */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, newEventId, silentLogger } from '../../src/bus/index.js';
import { connectSqlite } from '../../src/db/connection.js';
import { ConnectionWaitError, openDatabase, type Database, type Db, type DecnetMigration } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';

let home: string;
const open: Db[] = [];
const track = (db: Db): Db => {
  open.push(db);
  return db;
};

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'decnet-sqlite-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
  await rm(home, { recursive: true, force: true });
});

async function pragma(db: Db, name: string): Promise<unknown> {
  const { rows } = await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(db.kysely);
  return Object.values(rows[0] ?? {})[0];
}

const appendOne = (db: Db): Promise<number> =>
  db.write(async (tx) => (await db.repos.journal.append(tx, { topic: 'ttp.tagged', type: 'tagged', id: newEventId(), ts: 1, payload: {} })).seq, { locks: ['events'] });

describe('sqlite', () => {
  it('defaults to $DECNET_HOME/decnet.db with WAL, busy_timeout 5 s and synchronous NORMAL', async () => {
    const db = track(await openDatabase({ home: join(home, 'nested', 'home') }));
    expect(db.dialect).toBe('sqlite');
    expect((await stat(join(home, 'nested', 'home', 'decnet.db'))).isFile()).toBe(true);
    expect(await pragma(db, 'journal_mode')).toBe('wal');
    expect(await pragma(db, 'busy_timeout')).toBe(5000);
    expect(await pragma(db, 'synchronous')).toBe(1); // NORMAL
    expect(await pragma(db, 'foreign_keys')).toBe(1);
  });

  it('takes sqlite:PATH and synchronous FULL', async () => {
    const path = join(home, 'elsewhere.db');
    const db = track(await openDatabase({ url: `sqlite:${path}`, home, sqliteSynchronous: 'FULL' }));
    expect((await stat(path)).isFile()).toBe(true);
    expect(await pragma(db, 'synchronous')).toBe(2); // FULL
  });

  it('keeps seq growing after the journal is pruned empty (AUTOINCREMENT)', async () => {
    const clock = new FakeClock();
    const db = track(await openDatabase({ home, clock }));
    const first = [await appendOne(db), await appendOne(db), await appendOne(db)];
    clock.advance(200 * 3_600_000);
    expect(await db.repos.journal.pruneOlderThan(168)).toBe(3);
    expect(await db.repos.journal.oldestSeq()).toBeUndefined();
    expect(await db.repos.journal.head()).toBe(first[2]);
    const next = await appendOne(db);
    expect(next).toBe((first[2] ?? 0) + 1);
    // a reopened database keeps the high-water mark too
    await db.close();
    const again = track(await openDatabase({ home, clock }));
    expect(await appendOne(again)).toBe(next + 1);
  });

  it('a write waiting for another connection\'s write lock does not block the event loop', async () => {
    const a = track(await openDatabase({ home }));
    const b = track(await openDatabase({ home }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const holding = a.write(async (tx) => {
      await a.repos.users.create({ username: 'first', passwordHash: 'h', role: 'viewer', mustChangePassword: false }, tx);
      await gate;
      order.push('a committed');
    });
    await sleep(10);
    const waiting = b.repos.users.create({ username: 'second', passwordHash: 'h', role: 'viewer', mustChangePassword: false }).then(() => order.push('b committed'));
    await sleep(50); // timers still fire: b waits asynchronously
    order.push('timer');
    release();
    await Promise.all([holding, waiting]);
    expect(order).toEqual(['timer', 'a committed', 'b committed']);
    expect(await b.repos.users.count()).toBe(2);
  });

  it('fails db.kysely or db.write awaited inside a write after the wait, instead of waiting forever for the one connection', async () => {
    const db = track(await openDatabase({ home, sqliteWaitMs: 200 }));
    await expect(db.write(() => db.repos.users.count())).rejects.toBeInstanceOf(ConnectionWaitError);
    await expect(db.write(() => db.write(async () => 1))).rejects.toThrow(/inside db.write, use tx.db/);
    await expect(db.write((tx) => db.repos.users.count(tx))).resolves.toBe(0);
    // a callback after the commit may use db.kysely again
    await expect(db.write(async (tx) => tx.afterCommit(() => db.repos.users.count()))).resolves.toBeUndefined();
  });

  it('queues concurrent reads and writes of one process on its one connection', async () => {
    const db = track(await openDatabase({ home }));
    const work = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? db.repos.users.create({ username: `u${i}`, passwordHash: 'h', role: 'viewer', mustChangePassword: false }) : db.repos.users.count()));
    await Promise.all(work);
    expect(await db.repos.users.count()).toBe(25);
  });

  it('two connections migrating one file at once: one applies, the other waits and finds nothing pending', async () => {
    const path = join(home, 'race.db');
    const slow = (name: string, table: string): DecnetMigration => ({
      name,
      async up(db) {
        await db.schema.createTable(table).addColumn('x', 'integer').execute();
        await sleep(30); // let the other connection run in between
        await db.schema.createTable(`${table}_2`).addColumn('x', 'integer').execute();
      },
    });
    const migrations = [slow('20990101_000001_one', 'one'), slow('20990101_000002_two', 'two')];
    const connect = (): Promise<Kysely<Database>> => connectSqlite({ path, synchronous: 'NORMAL', log: silentLogger, waitMs: 5000 });
    const [k1, k2] = await Promise.all([connect(), connect()]);
    try {
      const applied = await Promise.all([migrateToLatest(k1, { dialect: 'sqlite', log: silentLogger, migrations }), migrateToLatest(k2, { dialect: 'sqlite', log: silentLogger, migrations })]);
      expect(applied.map((a) => a.length).sort()).toEqual([0, 2]);
    } finally {
      await Promise.all([k1.destroy(), k2.destroy()]);
    }
  });
});
