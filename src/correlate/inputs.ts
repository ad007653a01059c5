/**
 * What `correlate` reads from ingest's tables (eventplane.md §8.6, analysis.md §0.5, §3),
 * through ingest's repositories: log rows and credential rows after a cursor. Ingest is
 * the only writer of these tables (CORRECTIONS #7.3); correlate only back-fills
 * `credentials.attacker_id`.
 */
import type { Credential, Db, LogFacts, WriteTx } from '../db/index.js';

export type { LogFacts } from '../db/index.js';

/** A JSON column as an object (text on SQLite, jsonb on PostgreSQL); `{}` for anything else. */
export function jsonObject(value: unknown): Record<string, unknown> {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return {};
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

/** Log rows with `after < id ≤ upTo`, in id order, at most `limit`. */
export async function readLogsAfter(db: Db, tx: WriteTx, after: number, upTo: number, limit: number): Promise<LogFacts[]> {
  if (after >= upTo) return [];
  return (await db.repos.logs.readFactsAfter(after, limit, tx)).filter((r) => r.id <= upTo);
}

/** Credential rows with `after < seq ≤ upTo`, in seq order, at most `limit`. */
export async function readCredentialsAfter(db: Db, tx: WriteTx, after: number, upTo: number, limit: number): Promise<Credential[]> {
  if (after >= upTo) return [];
  return (await db.repos.credentials.readAfter(after, limit, tx)).filter((c) => c.seq <= upTo);
}
