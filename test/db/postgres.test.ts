/**
 * PostgreSQL specifics: the per-table advisory lock makes seq order commit order within
 * a schema and never blocks another schema; times and bigints arrive as text.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { newEventId } from '../../src/bus/index.js';
import type { Db } from '../../src/db/index.js';
import { postgresHarness } from '../conformance/db/harness.js';

const result = await postgresHarness('pgspec');

if ('fail' in result) {
  describe('postgres specifics', () => it('has its database', () => { throw new Error(result.fail); }));
} else {
  const { harness } = result;
  const open: Db[] = [];
  afterAll(async () => {
    await Promise.all(open.map((db) => db.close()));
    await harness.dispose();
  });
  const connect = async (target = harness.main): Promise<Db> => {
    const db = await target.open();
    open.push(db);
    return db;
  };
  const entry = () => ({ topic: 'ttp.tagged', type: 'tagged', id: newEventId(), ts: 1, payload: {} });

  describe('postgres specifics', () => {
    it('an append waits for the events lock of a transaction in the same schema, not in another', async () => {
      const [a, b] = [await connect(), await connect()];
      const other = await connect(await harness.fresh());
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const order: string[] = [];
      const first = a.write(async (tx) => {
        const { seq } = await a.repos.journal.append(tx, entry());
        await gate;
        order.push(`a:${seq}`);
        return seq;
      });
      await sleep(50);
      const second = b.write(async (tx) => (await b.repos.journal.append(tx, entry())).seq, { locks: ['events'] }).then((seq) => {
        order.push(`b:${seq}`);
        return seq;
      });
      // another schema's journal is not blocked
      await other.write(async (tx) => other.repos.journal.append(tx, entry()), { locks: ['events'] });
      await sleep(50);
      expect(order).toEqual([]);
      release();
      const [s1, s2] = await Promise.all([first, second]);
      expect(s2).toBeGreaterThan(s1);
      expect(order).toEqual([`a:${s1}`, `b:${s2}`]);
    });

    it('reads timestamptz and bigint as text, never as Date or a lossy number', async () => {
      const db = await connect();
      const { rows } = await sql<{ t: unknown; n: unknown }>`select '2026-01-01 00:00:00.123456+00'::timestamptz as t, 9007199254740993::bigint as n`.execute(db.kysely);
      expect(rows[0]).toEqual({ t: '2026-01-01 00:00:00.123456+00', n: '9007199254740993' });
    });

    it('stores journal payloads as jsonb', async () => {
      const db = await connect();
      const { rows } = await sql<{ t: string }>`select data_type as t from information_schema.columns where table_schema = current_schema() and table_name = 'events' and column_name = 'payload'`.execute(db.kysely);
      expect(rows[0]?.t).toBe('jsonb');
    });
  });
}
