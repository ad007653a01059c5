/**
 * The first admin (eventplane.md §1.2, CORRECTIONS #5.4, #5.15): when no user
 * exists, `admin` is created with DECNET_ADMIN_PASSWORD, or a generated password
 * that must be changed at first login. Only the process that inserted the row
 * learns the password, to print it once to its terminal (never to a log).
 */
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../api/index.js';
import type { Db } from '../db/index.js';

export interface FirstAdmin {
  readonly username: string;
  /** Set only when this process generated it. */
  readonly generatedPassword: string | undefined;
}

export async function ensureFirstAdmin(db: Db, adminPassword: string | undefined): Promise<FirstAdmin | undefined> {
  if ((await db.repos.users.count()) > 0) return undefined;
  const generated = adminPassword === undefined ? randomBytes(18).toString('base64url') : undefined;
  const password = adminPassword ?? (generated as string);
  const user = await db.repos.users.insertIfNoUsers({ username: 'admin', passwordHash: await hashPassword(password), role: 'admin', mustChangePassword: generated !== undefined });
  if (!user) return undefined;
  return { username: user.username, generatedPassword: generated };
}
