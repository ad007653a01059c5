/**
 * Where the repository conformance suite runs: a temp SQLite file, or a PostgreSQL
 * schema of its own per test file (CORRECTIONS #5.8, "Across issues" 6), dropped
 * afterwards. PostgreSQL that cannot be reached fails the suite with the reason: a test
 * of the real database never passes by not running.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import type { Clock, Logger } from '../../../src/bus/index.js';
import { openDatabase, type Db, type OpenDatabaseOptions } from '../../../src/db/index.js';

export interface DbTarget {
  /** Opens (and migrates) another handle on this database: a second process, in effect. */
  open(extra?: { clock?: Clock; log?: Logger }): Promise<Db>;
}

export interface DbHarness {
  readonly dialect: 'sqlite' | 'postgres';
  /** The database most cases share (emptied between cases). */
  readonly main: DbTarget;
  /** A new, never-migrated database (for migration cases). */
  fresh(): Promise<DbTarget>;
  dispose(): Promise<void>;
}

/** A harness, or why its database cannot be reached (the suite then fails: nothing is skipped). */
export type HarnessResult = { readonly harness: DbHarness } | { readonly fail: string };

export const TEST_DATABASE_URL = process.env.DECNET_TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';

export async function sqliteHarness(): Promise<HarnessResult> {
  const home = await mkdtemp(join(tmpdir(), 'decnet-db-'));
  let n = 0;
  const target = (path: string): DbTarget => ({ open: (extra = {}) => openDatabase({ url: `sqlite:${path}`, home, ...extra }) });
  return {
    harness: {
      dialect: 'sqlite',
      main: target(join(home, 'main.db')),
      fresh: () => Promise.resolve(target(join(home, `fresh-${++n}.db`))),
      dispose: () => rm(home, { recursive: true, force: true }),
    },
  };
}

/** Probes PostgreSQL; the schema is `decnet_t_<pid>_<random>_<label>`. */
export async function postgresHarness(label: string): Promise<HarnessResult> {
  const url = TEST_DATABASE_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    await client.end().catch(() => undefined);
    const why = `PostgreSQL at ${url} is not reachable (${err instanceof Error ? err.message : String(err)}); set DECNET_TEST_DATABASE_URL or start it`;
    return { fail: why };
  }
  const base = `decnet_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}_${label}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 50);
  const schemas: string[] = [];
  const target = (schema: string): DbTarget => {
    schemas.push(schema);
    const open = (extra: Partial<OpenDatabaseOptions> = {}): Promise<Db> => openDatabase({ url, home: tmpdir(), schema, ...extra });
    return { open };
  };
  let n = 0;
  return {
    harness: {
      dialect: 'postgres',
      main: target(base),
      fresh: () => Promise.resolve(target(`${base}_f${++n}`)),
      dispose: async () => {
        try {
          for (const schema of new Set(schemas)) await client.query(`drop schema if exists "${schema}" cascade`);
        } finally {
          await client.end();
        }
      },
    },
  };
}

/**
 * `describe(title, body)` with the harness, or — when the database is missing — one failing
 * case that says why.
 */
export function describeWithDatabase(title: string, result: HarnessResult, body: (harness: DbHarness) => void): void {
  if ('fail' in result) {
    describe(title, () =>
      it('has its database', () => {
        throw new Error(result.fail);
      }));
  } else {
    describe(title, () => {
      afterAll(() => result.harness.dispose());
      body(result.harness);
    });
  }
}
