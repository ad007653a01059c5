/** The repositories, one per aggregate, built over one database. */
import type { RepoContext } from './context.js';
import { createCursorsRepo, type CursorsRepo } from './cursors.js';
import { createJournalRepo, type JournalRepo } from './journal.js';
import { createRevokedTokensRepo, type RevokedTokensRepo } from './revoked-tokens.js';
import { createUsersRepo, type UsersRepo } from './users.js';

export interface Repositories {
  readonly users: UsersRepo;
  readonly revokedTokens: RevokedTokensRepo;
  readonly journal: JournalRepo;
  readonly cursors: CursorsRepo;
}

export function createRepositories(ctx: RepoContext): Repositories {
  return { users: createUsersRepo(ctx), revokedTokens: createRevokedTokensRepo(ctx), journal: createJournalRepo(ctx), cursors: createCursorsRepo(ctx) };
}

export type { RepoContext } from './context.js';
export type { CursorsRepo } from './cursors.js';
export { appendJournalEntry, type JournalEntry, type JournalPage, type JournalReadOptions, type JournalRepo, type JournalRow } from './journal.js';
export { REVOCATION_GRACE_SECS, type RevokedTokensRepo } from './revoked-tokens.js';
export type { NewUser, PasswordUpdate, Role, User, UsersRepo } from './users.js';
