/**
 * A migration of ours: named by timestamp (`YYYYMMDD_NNNNNN_what`, CORRECTIONS #5.9) so
 * parallel issues never collide, and given the dialect so one file can hold both
 * dialects' DDL. Migrations only move forward (no `down`): a release that needs to undo
 * one ships a new one.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

export interface DecnetMigration {
  readonly name: string;
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}
