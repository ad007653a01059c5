/**
 * Users (eventplane.md §1.2). Every insert takes the `users` advisory lock, so
 * `insertIfNoUsers` (the first admin at start) is race-safe between processes: the
 * second one waits, then sees the first one's row and inserts nothing. A duplicate
 * username is `ON CONFLICT DO NOTHING` plus a ConflictError, which leaves a
 * PostgreSQL transaction usable (a unique violation would abort it).
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { fromDbBool, fromDbInt, toDbBool } from '../dialect.js';
import { ConflictError } from '../errors.js';
import type { UsersTable } from '../schema.js';
import { isoFromDb, isoFromDbOrNull, nowIso } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { affected, inWrite, reader, type RepoContext } from './context.js';

export type Role = 'admin' | 'viewer';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly mustChangePassword: boolean;
  /** Epoch seconds: tokens with an earlier `iat` are refused. */
  readonly tokensValidFrom: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | null;
}

export interface NewUser {
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly mustChangePassword: boolean;
}

export interface PasswordUpdate {
  readonly mustChangePassword: boolean;
  /** The new cutoff (epoch seconds); a password change logs out every session. */
  readonly tokensValidFrom: number;
}

export interface UsersRepo {
  /** Throws ConflictError when the username is taken. */
  create(user: NewUser, tx?: WriteTx): Promise<User>;
  /** Inserts only when there is no user at all; returns the user only to the caller that inserted it. */
  insertIfNoUsers(user: NewUser, tx?: WriteTx): Promise<User | undefined>;
  findById(id: string, tx?: WriteTx): Promise<User | undefined>;
  findByUsername(username: string, tx?: WriteTx): Promise<User | undefined>;
  /** Ordered by username. */
  list(tx?: WriteTx): Promise<User[]>;
  count(tx?: WriteTx): Promise<number>;
  /** Returns the updated user, or undefined when there is none with that id. */
  updatePassword(id: string, passwordHash: string, update: PasswordUpdate, tx?: WriteTx): Promise<User | undefined>;
  setTokensValidFrom(id: string, epochSeconds: number, tx?: WriteTx): Promise<boolean>;
  /** Sets `last_login_at` to now. */
  touchLogin(id: string, tx?: WriteTx): Promise<boolean>;
  delete(id: string, tx?: WriteTx): Promise<boolean>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    mustChangePassword: fromDbBool(row.must_change_password),
    tokensValidFrom: fromDbInt(row.tokens_valid_from),
    createdAt: isoFromDb(row.created_at),
    updatedAt: isoFromDb(row.updated_at),
    lastLoginAt: isoFromDbOrNull(row.last_login_at),
  };
}

function checkEpochSeconds(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`tokensValidFrom must be whole epoch seconds, got ${value}`);
}

export function createUsersRepo(ctx: RepoContext): UsersRepo {
  const insert = async (tx: WriteTx, user: NewUser): Promise<User | undefined> => {
    const now = nowIso(ctx.clock);
    const row = await tx.db
      .insertInto('users')
      .values({
        id: randomUUID(),
        username: user.username,
        password_hash: user.passwordHash,
        role: user.role,
        must_change_password: toDbBool(ctx.dialect, user.mustChangePassword),
        tokens_valid_from: 0,
        created_at: now,
        updated_at: now,
        last_login_at: null,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  };

  // PostgreSQL would reject a non-UUID id in a uuid comparison; no such user exists anyway
  const byId = (id: string): boolean => UUID_RE.test(id);

  return {
    create: (user, tx) =>
      inWrite(
        ctx,
        tx,
        async (t) => {
          const created = await insert(t, user);
          if (!created) throw new ConflictError('user', 'username', `username ${JSON.stringify(user.username)} is taken`);
          return created;
        },
        ['users'],
      ),

    insertIfNoUsers: (user, tx) =>
      inWrite(
        ctx,
        tx,
        async (t) => {
          const { n } = await t.db.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
          return Number(n) === 0 ? insert(t, user) : undefined;
        },
        ['users'],
      ),

    async findById(id, tx) {
      if (!byId(id)) return undefined;
      const row = await reader(ctx, tx).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toUser(row) : undefined;
    },

    async findByUsername(username, tx) {
      const row = await reader(ctx, tx).selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
      return row ? toUser(row) : undefined;
    },

    async list(tx) {
      const rows = await reader(ctx, tx).selectFrom('users').selectAll().orderBy('username').execute();
      return rows.map(toUser);
    },

    async count(tx) {
      const { n } = await reader(ctx, tx).selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return Number(n);
    },

    updatePassword: (id, passwordHash, update, tx) => {
      checkEpochSeconds(update.tokensValidFrom);
      return inWrite(ctx, tx, async (t) => {
        if (!byId(id)) return undefined;
        const row = await t.db
          .updateTable('users')
          .set({ password_hash: passwordHash, must_change_password: toDbBool(ctx.dialect, update.mustChangePassword), tokens_valid_from: update.tokensValidFrom, updated_at: nowIso(ctx.clock) })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row ? toUser(row) : undefined;
      });
    },

    setTokensValidFrom: (id, epochSeconds, tx) => {
      checkEpochSeconds(epochSeconds);
      return inWrite(ctx, tx, async (t) => {
        if (!byId(id)) return false;
        const result = await t.db.updateTable('users').set({ tokens_valid_from: epochSeconds, updated_at: nowIso(ctx.clock) }).where('id', '=', id).executeTakeFirst();
        return affected(result) > 0;
      });
    },

    touchLogin: (id, tx) =>
      inWrite(ctx, tx, async (t) => {
        if (!byId(id)) return false;
        const result = await t.db.updateTable('users').set({ last_login_at: nowIso(ctx.clock) }).where('id', '=', id).executeTakeFirst();
        return affected(result) > 0;
      }),

    delete: (id, tx) =>
      inWrite(ctx, tx, async (t) => {
        if (!byId(id)) return false;
        const result = await t.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
        return affected(result) > 0;
      }),
  };
}
