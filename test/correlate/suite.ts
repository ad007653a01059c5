/**
 * The correlate cases on one dialect: each case gets a fresh database (a temp SQLite
 * file, or a PostgreSQL schema of its own) through the repository conformance harness.
 */
import { afterAll, afterEach, describe, it } from 'vitest';
import type { FakeClock } from '../../src/bus/index.js';
import type { Db } from '../../src/db/index.js';
import type { DbTarget, HarnessResult } from '../conformance/db/harness.js';
import { profileCases, type CaseContext } from './cases-profiles.js';
import { rebuildCases } from './cases-rebuild.js';
import { reuseCases } from './cases-reuse.js';
import { traversalCases } from './cases-traversal.js';

export function runCorrelateSuite(name: string, result: HarnessResult): void {
  if ('fail' in result) {
    describe(`correlate on ${name}`, () =>
      it('has its database', () => {
        throw new Error(result.fail);
      }));
    return;
  }
  const { harness } = result;
  const open: Db[] = [];
  const targets = new Map<Db, DbTarget>();
  const ctx: CaseContext = {
    fresh: async (clock: FakeClock) => {
      const target = await harness.fresh();
      const db = await target.open({ clock });
      targets.set(db, target);
      open.push(db);
      return db;
    },
    reopen: async (db: Db, clock: FakeClock) => {
      const target = targets.get(db);
      if (!target) throw new Error('reopen: not a fresh() database');
      const again = await target.open({ clock });
      open.push(again);
      return again;
    },
  };
  describe(`correlate on ${name}`, () => {
    afterEach(async () => {
      await Promise.all(open.splice(0).map((db) => db.close()));
      targets.clear();
    });
    afterAll(() => harness.dispose());
    describe('profiles and sessions', () => profileCases(ctx));
    describe('credential reuse', () => reuseCases(ctx));
    describe('traversal', () => traversalCases(ctx));
    describe('rebuild', () => rebuildCases(ctx));
  });
}
