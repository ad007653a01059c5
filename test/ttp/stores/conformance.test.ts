/** The store conformance suite on every store: builtin, the watched directory, and `ttp_rules` on SQLite and PostgreSQL. */
import { describe, it } from 'vitest';
import type { Db } from '../../../src/db/index.js';
import { postgresHarness, sqliteHarness, type HarnessResult } from '../../conformance/db/harness.js';
import { builtinHarness, databaseHarness, filesystemHarness } from './harness.js';
import { runStoreConformance } from './suite.js';

runStoreConformance(builtinHarness());
runStoreConformance(filesystemHarness());

function databaseConformance(name: string, result: HarnessResult): void {
  if ('fail' in result) {
    describe(`store conformance: ${name}`, () => it('has its database', () => Promise.reject(new Error(result.fail))));
    return;
  }
  let db: Db | undefined;
  const open = (): Db => {
    if (!db) throw new Error('database not open');
    return db;
  };
  runStoreConformance(databaseHarness(name, open), {
    before: async () => {
      db = await result.harness.main.open();
    },
    after: async () => {
      await db?.close();
      await result.harness.dispose();
    },
  });
}

databaseConformance('database (sqlite)', await sqliteHarness());
databaseConformance('database (postgres)', await postgresHarness('stores'));
