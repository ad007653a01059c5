/**
 * The fold's in-memory attacker rows (src/correlate/attacker-state.ts) on both dialects:
 * on SQLite they go through prepared statements and saveAttackers writes only the columns
 * that changed, on PostgreSQL through one upsert; what is saved is what is read back,
 * column by column.
 */
import { expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import { insertAttackers, loadAttackersById, loadAttackersByIp, newAttackerState, saveAttackers, type AttackerState } from '../../src/correlate/attacker-state.js';
import { isoFromDb, type Db } from '../../src/db/index.js';
import { describeWithDatabase, postgresHarness, sqliteHarness, type DbHarness } from '../conformance/db/harness.js';
import { at, T0 } from './support.js';

const ID = '00000000-0000-4000-8000-000000000001';
const IP = '198.51.100.7';

/** The columns the fold owns and reads back, as the state holds them (what a reload must give back; the behaviour document is only written). */
function owned(s: AttackerState): Record<string, unknown> {
  const { stored: _stored, isNew: _isNew, eventCountBefore: _before, behavior: _behavior, ...rest } = s;
  return rest;
}

/** The stored behaviour document (text on SQLite, jsonb on PostgreSQL). */
async function storedBehavior(db: Db): Promise<unknown> {
  const row = await db.kysely.selectFrom('attackers').select('behavior').where('id', '=', ID).executeTakeFirstOrThrow();
  return typeof row.behavior === 'string' ? JSON.parse(row.behavior) : row.behavior;
}

function attackerStateCases(harness: DbHarness): void {
  const open = async (): Promise<Db> => (await harness.fresh()).open({ clock: new FakeClock(T0) });

  it('reads back what it inserted and what it saved, changed columns only or all; the behaviour is written when computed and never loaded', async () => {
    const db = await open();
    try {
      const created = newAttackerState(ID, IP, at(0));
      created.eventCount = 2;
      created.firstSeen = at(1);
      created.lastSeen = at(2);
      created.behavior = { behavior_class: 'unknown', rows: 2 };
      await db.write((tx) => insertAttackers(tx, [created], at(0)), { locks: ['attackers'] });

      const loaded = await db.write((tx) => loadAttackersByIp(tx, [IP]), { locks: ['attackers'] });
      const s = loaded.get(IP) as AttackerState;
      expect(owned(s)).toEqual(owned(created));
      expect(s.behavior).toBeUndefined();

      // one counter and one JSON value change; the stored behaviour text is kept as it was
      s.eventCount = 3;
      s.lastSeen = at(3);
      s.scoredSummary = { attacker_uuid: ID, event_count: 3 };
      s.scoredDirty = true;
      await db.write((tx) => saveAttackers(tx, [s], at(4)), { locks: ['attackers'] });
      const [again] = await db.write((tx) => loadAttackersById(tx, [ID]), { locks: ['attackers'] });
      expect(owned(again as AttackerState)).toEqual(owned(s));
      const row = await db.kysely.selectFrom('attackers').select(['updated_at', 'signal_version']).where('id', '=', ID).executeTakeFirstOrThrow();
      expect(await storedBehavior(db)).toEqual({ behavior_class: 'unknown', rows: 2 });
      expect((again as AttackerState).behavior).toBeUndefined();
      expect(isoFromDb(row.updated_at)).toBe(at(4));
      expect(Number(row.signal_version)).toBe(1);

      // a state without a stored row image (written as a whole) gives the same row
      const whole = { ...(again as AttackerState), stored: undefined, firstSeen: at(0.5), behavior: null };
      await db.write((tx) => saveAttackers(tx, [whole], at(5)), { locks: ['attackers'] });
      const [last] = await db.write((tx) => loadAttackersById(tx, [ID]), { locks: ['attackers'] });
      expect(owned(last as AttackerState)).toEqual(owned(whole));
      expect(await storedBehavior(db)).toBeNull();

      // a recomputed behaviour replaces the stored one
      const recomputed = last as AttackerState;
      recomputed.behavior = { behavior_class: 'scanning', rows: 9 };
      await db.write((tx) => saveAttackers(tx, [recomputed], at(6)), { locks: ['attackers'] });
      expect(await storedBehavior(db)).toEqual({ behavior_class: 'scanning', rows: 9 });
    } finally {
      await db.close();
    }
  });

  it('loads by id in id order, leaving out unknown ids', async () => {
    const db = await open();
    try {
      const ids = ['00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002'];
      await db.write((tx) => insertAttackers(tx, ids.map((id, i) => newAttackerState(id, `192.0.2.${i + 1}`, at(0))), at(0)), { locks: ['attackers'] });
      const loaded = await db.write((tx) => loadAttackersById(tx, [...ids, '00000000-0000-4000-8000-00000000000f']), { locks: ['attackers'] });
      expect(loaded.map((s) => s.id)).toEqual([...ids].sort());
    } finally {
      await db.close();
    }
  });
}

describeWithDatabase('attacker state on SQLite', await sqliteHarness(), attackerStateCases);
describeWithDatabase('attacker state on PostgreSQL', await postgresHarness('attacker-state'), attackerStateCases);
