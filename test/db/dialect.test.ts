/** DECNET_DATABASE_URL parsing, time normalisation and the lock order: no database needed. */
import fc from 'fast-check';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../src/db/locks.js';
import { canonicalLockOrder, DatabaseConfigError, isoFromDb, openDatabase, parseDatabaseUrl, redactUrl } from '../../src/db/index.js';

describe('DECNET_DATABASE_URL', () => {
  it('unset or empty means SQLite at $DECNET_HOME/decnet.db', () => {
    expect(parseDatabaseUrl(undefined, '/h')).toEqual({ dialect: 'sqlite', path: join('/h', 'decnet.db') });
    expect(parseDatabaseUrl('  ', '/h')).toEqual({ dialect: 'sqlite', path: join('/h', 'decnet.db') });
  });

  it('takes sqlite:PATH (absolute, relative to the working directory, or :memory:)', () => {
    expect(parseDatabaseUrl('sqlite:/var/lib/decnet/x.db', '/h')).toEqual({ dialect: 'sqlite', path: '/var/lib/decnet/x.db' });
    expect(parseDatabaseUrl('sqlite:///var/lib/x.db', '/h')).toEqual({ dialect: 'sqlite', path: '/var/lib/x.db' });
    expect(parseDatabaseUrl('sqlite:data/x.db', '/h')).toEqual({ dialect: 'sqlite', path: resolve('data/x.db') });
    expect(parseDatabaseUrl('sqlite::memory:', '/h')).toEqual({ dialect: 'sqlite', path: ':memory:' });
  });

  it('takes postgres:// and postgresql://', () => {
    expect(parseDatabaseUrl('postgres://u@127.0.0.1:5432/test', '/h')).toEqual({ dialect: 'postgres', url: 'postgres://u@127.0.0.1:5432/test' });
    expect(parseDatabaseUrl('postgresql://u:p@db/x', '/h').dialect).toBe('postgres');
  });

  it('refuses anything else, naming the variable and what it accepts, without the password', () => {
    const bad = (url: string): DatabaseConfigError => {
      try {
        parseDatabaseUrl(url, '/h');
      } catch (err) {
        if (err instanceof DatabaseConfigError) return err;
        throw err;
      }
      throw new Error(`${url} was accepted`);
    };
    const err = bad('mysql://root:hunter2@db/decnet');
    expect(err.variable).toBe('DECNET_DATABASE_URL');
    expect(err.message).toMatch(/^DECNET_DATABASE_URL: /);
    expect(err.message).toContain('sqlite:PATH');
    expect(err.message).toContain('postgres://');
    expect(err.message).not.toContain('hunter2');
    expect(bad('sqlite:').message).toContain('file path');
    expect(bad('decnet.db').variable).toBe('DECNET_DATABASE_URL');
    expect(bad('postgres://:secret@/db').message).not.toContain('secret');
  });

  it('openDatabase rejects a bad URL with DatabaseConfigError before touching anything', async () => {
    await expect(openDatabase({ url: 'redis://x', home: '/nonexistent' })).rejects.toBeInstanceOf(DatabaseConfigError);
    await expect(openDatabase({ home: '/nonexistent', sqliteSynchronous: 'OFF' as 'FULL' })).rejects.toMatchObject({ variable: 'DECNET_SQLITE_SYNCHRONOUS' });
  });

  it('says which PostgreSQL cannot be reached, without its password', async () => {
    await expect(openDatabase({ url: 'postgres://postgres:pw@localhost:1/test', home: '/nonexistent' })).rejects.toThrow(/^PostgreSQL at postgres:\/\/postgres:\*\*\*@localhost:1\/test cannot be reached: .*ECONNREFUSED/);
  });

  it('redacts passwords', () => {
    expect(redactUrl('postgres://u:p%40ss@h:5432/d')).toBe('postgres://u:***@h:5432/d');
    expect(redactUrl('postgres://u@h/d')).toBe('postgres://u@h/d');
  });
});

describe('isoFromDb', () => {
  it('normalises PostgreSQL text and SQLite ISO to six fractional digits in UTC', () => {
    expect(isoFromDb('2026-01-01 00:00:00+00')).toBe('2026-01-01T00:00:00.000000Z');
    expect(isoFromDb('2026-01-01 00:00:00.5+00')).toBe('2026-01-01T00:00:00.500000Z');
    expect(isoFromDb('2026-01-01 00:00:00.123456+00')).toBe('2026-01-01T00:00:00.123456Z');
    expect(isoFromDb('2026-01-01T00:00:00.123456Z')).toBe('2026-01-01T00:00:00.123456Z');
    expect(isoFromDb('2026-01-01 02:30:00.000001+02:30')).toBe('2026-01-01T00:00:00.000001Z');
    expect(isoFromDb('2025-12-31 19:00:00.25-05')).toBe('2026-01-01T00:00:00.250000Z');
    expect(isoFromDb(new Date('2026-01-01T00:00:00.123Z'))).toBe('2026-01-01T00:00:00.123000Z');
    expect(() => isoFromDb('yesterday')).toThrow(RangeError);
  });

  it('returns a time already in the stored shape as it is, the same text its PostgreSQL form gives', () => {
    const canonical = fc
      .tuple(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 999 }))
      .map(([d, micros]) => `${d.toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`);
    fc.assert(
      fc.property(canonical, (iso) => {
        expect(isoFromDb(iso)).toBe(iso);
        expect(isoFromDb(`${iso.slice(0, 10)} ${iso.slice(11, -1)}+00`)).toBe(iso);
      }),
    );
  });
});

describe('lock order', () => {
  it('is logs first, other tables by name, events last', () => {
    expect(canonicalLockOrder(['events', 'webhooks', 'logs', 'credentials', 'events'])).toEqual(['logs', 'credentials', 'webhooks', 'events']);
  });

  it('keys include the schema, so per-test schemas never block each other', () => {
    expect(advisoryLockKey('a', 'events')).not.toBe(advisoryLockKey('b', 'events'));
    expect(advisoryLockKey('a', 'events')).toBe(advisoryLockKey('a', 'events'));
    const key = BigInt(advisoryLockKey('public', 'logs'));
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});
