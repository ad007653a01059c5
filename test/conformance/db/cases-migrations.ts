/** Migrations: idempotent, and safe when two processes migrate one database at once. */
import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { MIGRATIONS } from '../../../src/db/index.js';
import type { SuiteContext } from './suite.js';

const TABLES = ['events', 'revoked_tokens', 'users', 'worker_cursors'];

export function migrationCases(ctx: SuiteContext): void {
  it('is idempotent: a second open migrates nothing and sees the first one data', async () => {
    const target = await ctx.harness().fresh();
    const first = ctx.track(await target.open({ clock: ctx.clock }));
    await first.repos.users.create({ username: 'kept', passwordHash: 'h', role: 'admin', mustChangePassword: false });
    await first.close();
    const second = ctx.track(await target.open({ clock: ctx.clock }));
    expect((await second.repos.users.findByUsername('kept'))?.role).toBe('admin');
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from kysely_migration`.execute(second.kysely);
    expect(Number(rows[0]?.n)).toBe(MIGRATIONS.length);
  });

  it('two concurrent openDatabase on one fresh database both migrate without error', async () => {
    const target = await ctx.harness().fresh();
    const opened = await Promise.all([target.open({ clock: ctx.clock }), target.open({ clock: ctx.clock }), target.open({ clock: ctx.clock })]);
    for (const db of opened) ctx.track(db);
    for (const table of TABLES) {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(opened[0]!.kysely);
      expect(Number(rows[0]?.n), table).toBe(0);
    }
    await opened[1]!.repos.users.create({ username: 'x', passwordHash: 'h', role: 'viewer', mustChangePassword: false });
    expect(await opened[2]!.repos.users.count()).toBe(1);
  });
}
