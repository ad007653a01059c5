/** Users and revoked tokens: CRUD, conflicts, the first-admin race, times and booleans. */
import { expect, it } from 'vitest';
import { isoFromEpochMs } from '../../../src/bus/index.js';
import { ConflictError, type NewUser } from '../../../src/db/index.js';
import { ISO6, type SuiteContext } from './suite.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function newUser(username: string, extra: Partial<NewUser> = {}): NewUser {
  return { username, passwordHash: `scrypt$32768$8$1$salt$${username}`, role: 'viewer', mustChangePassword: false, ...extra };
}

export function userCases(ctx: SuiteContext): void {
  it('creates a user with a UUID id, six-digit ISO times from the clock and real booleans', async () => {
    const users = ctx.db().repos.users;
    const now = ctx.clock.isoNow();
    const alice = await users.create(newUser('alice', { role: 'admin', mustChangePassword: true }));
    expect(alice).toEqual({
      id: expect.stringMatching(UUID),
      username: 'alice',
      passwordHash: 'scrypt$32768$8$1$salt$alice',
      role: 'admin',
      mustChangePassword: true,
      tokensValidFrom: 0,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    });
    expect(alice.createdAt).toMatch(ISO6);
    expect(await users.findById(alice.id)).toEqual(alice);
    expect(await users.findByUsername('alice')).toEqual(alice);
    const bob = await users.create(newUser('bob'));
    expect(bob.mustChangePassword).toBe(false);
    expect((await users.findById(bob.id))?.mustChangePassword).toBe(false);
  });

  it('keeps microseconds, including trailing zeros, through the database', async () => {
    const users = ctx.db().repos.users;
    const whole = Math.floor(ctx.clock.now() / 1000) * 1000 + 1000 - ctx.clock.now();
    ctx.clock.advance(whole); // exactly on a second: PostgreSQL prints no fraction at all
    const onSecond = await users.create(newUser('whole'));
    expect(onSecond.createdAt).toMatch(/\.000000Z$/);
    ctx.clock.advance(0.25); // 250 µs
    const quarter = await users.create(newUser('quarter'));
    expect(quarter.createdAt).toBe(isoFromEpochMs(ctx.clock.now()));
    expect(quarter.createdAt).toMatch(/\.000250Z$/);
    expect((await users.findById(quarter.id))?.createdAt).toBe(quarter.createdAt);
    expect((await users.findById(onSecond.id))?.createdAt).toBe(onSecond.createdAt);
  });

  it('lists by username and counts', async () => {
    const users = ctx.db().repos.users;
    expect(await users.list()).toEqual([]);
    expect(await users.count()).toBe(0);
    for (const name of ['carol', 'alice', 'bob']) await users.create(newUser(name));
    expect((await users.list()).map((u) => u.username)).toEqual(['alice', 'bob', 'carol']);
    expect(await users.count()).toBe(3);
  });

  it('refuses a duplicate username with a ConflictError and leaves the transaction usable', async () => {
    const db = ctx.db();
    await db.repos.users.create(newUser('alice'));
    await expect(db.repos.users.create(newUser('alice', { role: 'admin' }))).rejects.toBeInstanceOf(ConflictError);
    await db.write(async (tx) => {
      await expect(db.repos.users.create(newUser('alice'), tx)).rejects.toMatchObject({ code: 'conflict', field: 'username' });
      await db.repos.users.create(newUser('dave'), tx);
    });
    expect((await db.repos.users.list()).map((u) => [u.username, u.role])).toEqual([
      ['alice', 'viewer'],
      ['dave', 'viewer'],
    ]);
  });

  it('returns nothing for unknown or malformed ids and usernames', async () => {
    const users = ctx.db().repos.users;
    expect(await users.findById('6f1c3a52-7d4e-4b9a-9c1e-0a2b3c4d5e6f')).toBeUndefined();
    expect(await users.findById('not-a-uuid')).toBeUndefined();
    expect(await users.findByUsername('nobody')).toBeUndefined();
    expect(await users.delete('not-a-uuid')).toBe(false);
    expect(await users.touchLogin('6f1c3a52-7d4e-4b9a-9c1e-0a2b3c4d5e6f')).toBe(false);
    expect(await users.updatePassword('nope', 'h', { mustChangePassword: false, tokensValidFrom: 1 })).toBeUndefined();
  });

  it('updates the password and cutoff, moves the cutoff alone, records logins and deletes', async () => {
    const users = ctx.db().repos.users;
    const u = await users.create(newUser('erin', { mustChangePassword: true }));
    ctx.clock.advance(1500);
    const changed = await users.updatePassword(u.id, 'new-hash', { mustChangePassword: false, tokensValidFrom: 1_767_225_700 });
    expect(changed).toMatchObject({ passwordHash: 'new-hash', mustChangePassword: false, tokensValidFrom: 1_767_225_700, createdAt: u.createdAt, updatedAt: ctx.clock.isoNow() });
    expect(await users.setTokensValidFrom(u.id, 4_102_444_800)).toBe(true); // 2100: past 32-bit
    expect((await users.findById(u.id))?.tokensValidFrom).toBe(4_102_444_800);
    ctx.clock.advance(10);
    expect(await users.touchLogin(u.id)).toBe(true);
    expect((await users.findById(u.id))?.lastLoginAt).toBe(ctx.clock.isoNow());
    expect(await users.delete(u.id)).toBe(true);
    expect(await users.delete(u.id)).toBe(false);
    expect(await users.findById(u.id)).toBeUndefined();
  });

  it('first admin: two concurrent insertIfNoUsers (two connections) create exactly one user', async () => {
    const other = ctx.track(await ctx.harness().main.open({ clock: ctx.clock }));
    const a = ctx.db().repos.users;
    const b = other.repos.users;
    for (let round = 0; round < 3; round++) {
      await ctx.db().write((tx) => tx.db.deleteFrom('users').execute());
      // different usernames: the unique constraint alone could not stop the second
      const results = await Promise.all([a.insertIfNoUsers(newUser('admin', { role: 'admin' })), b.insertIfNoUsers(newUser('root', { role: 'admin' }))]);
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await a.count()).toBe(1);
      expect((await a.list())[0]?.id).toBe(winners[0]?.id);
    }
    expect(await a.insertIfNoUsers(newUser('late'))).toBeUndefined();
    expect(await a.count()).toBe(1);
  });

  it('revokes tokens idempotently and prunes only those expired past the grace period', async () => {
    const revoked = ctx.db().repos.revokedTokens;
    const nowS = Math.floor(ctx.clock.now() / 1000);
    expect(await revoked.isRevoked('a'.repeat(32))).toBe(false);
    await revoked.revoke('a'.repeat(32), nowS + 3600);
    await revoked.revoke('a'.repeat(32), nowS + 60); // the later expiry stays
    await revoked.revoke('b'.repeat(32), nowS - 10); // expired, inside the grace
    await revoked.revoke('c'.repeat(32), nowS - 3600); // expired long ago
    expect(await revoked.isRevoked('a'.repeat(32))).toBe(true);
    expect(await revoked.prune()).toBe(1);
    expect(await revoked.isRevoked('b'.repeat(32))).toBe(true);
    expect(await revoked.isRevoked('c'.repeat(32))).toBe(false);
    ctx.clock.advance(3600_000 + 61_000);
    expect(await revoked.prune()).toBe(2);
    expect(await revoked.isRevoked('a'.repeat(32))).toBe(false);
  });
}
