/**
 * The repository conformance suite: the same cases on every dialect, so the
 * repositories hide the differences (booleans, bigint text, time formats, locking)
 * instead of leaking them to the API and the workers.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { FakeClock } from '../../../src/bus/index.js';
import type { Db } from '../../../src/db/index.js';
import { journalCases } from './cases-journal.js';
import { migrationCases } from './cases-migrations.js';
import { ttpCases } from './cases-ttp.js';
import { unitOfWorkCases } from './cases-unit-of-work.js';
import { userCases } from './cases-users.js';
import type { DbHarness, HarnessResult } from './harness.js';

/** 2026-01-01T00:00:00.123500Z: a start with microseconds that survive every round trip. */
export const START_MS = Date.UTC(2026, 0, 1) + 123.5;

export interface SuiteContext {
  /** The shared database, emptied before each case. */
  db(): Db;
  /** The shared database's clock. */
  readonly clock: FakeClock;
  harness(): DbHarness;
  /** Closes `db` after the case. */
  track(db: Db): Db;
}

export const ISO6 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function runRepositoryConformance(name: string, result: HarnessResult): void {
  if ('fail' in result) {
    describe(`repository conformance: ${name}`, () => {
      it('has its database', () => {
        throw new Error(result.fail);
      });
    });
    return;
  }
  const { harness } = result;
  describe(`repository conformance: ${name}`, () => {
    const clock = new FakeClock(START_MS);
    let shared: Db | undefined;
    const extra: Db[] = [];
    const ctx: SuiteContext = {
      db: () => {
        if (!shared) throw new Error('database not open');
        return shared;
      },
      clock,
      harness: () => harness,
      track: (db) => {
        extra.push(db);
        return db;
      },
    };

    beforeAll(async () => {
      shared = await harness.main.open({ clock });
    });
    afterAll(async () => {
      await shared?.close();
      await harness.dispose();
    });
    beforeEach(async () => {
      const db = ctx.db();
      await db.write(async (tx) => {
        for (const table of ['users', 'revoked_tokens', 'events', 'worker_cursors'] as const) await tx.db.deleteFrom(table).execute();
      });
    });
    afterEach(async () => {
      await Promise.all(extra.splice(0).map((db) => db.close()));
    });

    describe('users', () => userCases(ctx));
    describe('journal', () => journalCases(ctx));
    describe('unit of work', () => unitOfWorkCases(ctx));
    describe('migrations', () => migrationCases(ctx));
    describe('ttp tags and rules', () => ttpCases(ctx));
  });
}
