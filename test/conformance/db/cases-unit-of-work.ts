/** db.write: commit and rollback, afterCommit, lock order, concurrency, ping. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { newEventId } from '../../../src/bus/index.js';
import { LockOrderError } from '../../../src/db/index.js';
import type { SuiteContext } from './suite.js';

const USER = { username: 'uow', passwordHash: 'h', role: 'viewer' as const, mustChangePassword: false };

export function unitOfWorkCases(ctx: SuiteContext): void {
  it('runs afterCommit callbacks after the commit, in order, and returns the result', async () => {
    const db = ctx.db();
    const calls: string[] = [];
    const result = await db.write(async (tx) => {
      await db.repos.users.create(USER, tx);
      tx.afterCommit(() => calls.push('first'));
      tx.afterCommit(async () => {
        // after the commit the row is visible to another reader, and the connection is free
        calls.push(`second:${await db.repos.users.count()}`);
      });
      expect(calls).toEqual([]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toEqual(['first', 'second:1']);
  });

  it('rolls back on error: no rows, no afterCommit, the error rethrown', async () => {
    const db = ctx.db();
    const calls: string[] = [];
    const failure = new Error('boom');
    await expect(
      db.write(
        async (tx) => {
          await db.repos.users.create(USER, tx);
          await db.repos.journal.append(tx, { topic: 'ttp.tagged', type: 'tagged', id: newEventId(), ts: 1, payload: {} });
          await db.repos.revokedTokens.revoke('j'.repeat(32), 2_000_000_000, tx);
          tx.afterCommit(() => calls.push('never'));
          throw failure;
        },
        { locks: ['events', 'users'] },
      ),
    ).rejects.toBe(failure);
    expect(calls).toEqual([]);
    expect(await db.repos.users.count()).toBe(0);
    expect(await db.repos.journal.countAfter(0)).toBe(0);
    expect(await db.repos.revokedTokens.isRevoked('j'.repeat(32))).toBe(false);
  });

  it('logs a failing afterCommit callback and still resolves, running the others', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const db = ctx.track(await ctx.harness().main.open({ clock: ctx.clock, log }));
    const calls: string[] = [];
    await db.write(async (tx) => {
      tx.afterCommit(() => {
        throw new Error('callback broke');
      });
      tx.afterCommit(() => Promise.reject(new Error('async callback broke')));
      tx.afterCommit(() => calls.push('ran'));
    });
    expect(calls).toEqual(['ran']);
    expect(lines.filter((l) => l.includes('afterCommit callback failed'))).toHaveLength(2);
  });

  it('refuses afterCommit and lock once the transaction has ended', async () => {
    const db = ctx.db();
    const tx = await db.write(async (t) => t);
    expect(() => tx.afterCommit(() => undefined)).toThrow(/after the transaction ended/);
    await expect(tx.lock('events')).rejects.toThrow(/after the transaction ended/);
  });

  it('takes locks in canonical order and refuses a lock that ranks before one held', async () => {
    const db = ctx.db();
    await db.write(async (tx) => {
      await tx.lock('logs');
      await tx.lock('users', 'credentials'); // sorted: credentials, users
      await tx.lock('credentials'); // already held: fine
      await tx.lock('events');
      await expect(tx.lock('users')).resolves.toBeUndefined(); // held
      await expect(tx.lock('webhooks')).rejects.toBeInstanceOf(LockOrderError);
    });
    await expect(db.write(async (tx) => tx.lock('logs'), { locks: ['events'] })).rejects.toBeInstanceOf(LockOrderError);
    await db.write(async () => undefined, { locks: ['events', 'zebra', 'logs', 'alpha'] });
  });

  it('serialises concurrent writes of one process', async () => {
    const db = ctx.db();
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.repos.users.create({ ...USER, username: `u${i}` })));
    expect(await db.repos.users.count()).toBe(20);
  });

  it('pings', async () => {
    const ms = await ctx.db().ping();
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(10_000);
  });
}
