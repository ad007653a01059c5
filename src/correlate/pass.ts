/**
 * One correlate pass (analysis.md §0.2, §1.2): read the credentials head, drain `logs`
 * after the cursor in batches — each folded and its cursor advanced in one transaction —
 * then fold credentials up to that head (their log rows were committed with them, so
 * their attackers exist by then), then publish what `attacker.scored` coalescing held
 * back once its interval has passed. Events go out after each commit; a crash redoes
 * the uncommitted batch and publishes nothing twice.
 *
 * Every batch transaction takes the `attackers` lock first, so two correlate processes
 * (`decnet correlate --once` beside `decnet up`) serialise instead of double-counting,
 * and the credentials batch also takes `credentials` (correlate back-fills
 * `attacker_id` there; canonical lock order keeps ingest and correlate deadlock-free).
 */
import { publishSafely, topics, type Bus, type Clock, type Logger } from '../bus/index.js';
import type { AnalysisConfig } from '../config/index.js';
import type { Credential, Db, LogRow, WriteTx } from '../db/index.js';
import { readCredentialsAfter, readLogsAfter } from './inputs.js';
import { foldLogRows, type ObservedPayload } from './profiles.js';
import { foldCredentials, touchFindings } from './reuse.js';
import { sweepDirty, type ScoredPayload } from './scored.js';

/** The worker name and the cursor rows' `worker` (cursors are named after the table read). */
export const CORRELATE_WORKER = 'correlate';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface PassDeps {
  readonly db: Db;
  /** null: journal and store, publish nothing live. */
  readonly bus: Bus | null;
  readonly settings: AnalysisConfig;
  readonly log: Logger;
  readonly clock: Clock;
  /** Stop between batches when this aborts. */
  readonly signal?: AbortSignal;
  /** Called after each committed batch with its rows and duration (ms, real time): `bench:analysis`. */
  readonly onBatch?: (input: 'logs' | 'credentials', rows: number, ms: number) => void;
}

export interface PassResult {
  readonly logRows: number;
  readonly credentialRows: number;
  readonly countedRows: number;
  readonly attackersCreated: number;
  readonly observed: number;
  readonly scored: number;
  readonly sessions: number;
  readonly findings: number;
  readonly orphans: number;
}

function publishAll(deps: PassDeps, observed: readonly ObservedPayload[], scored: readonly ScoredPayload[]): () => Promise<void> {
  return async () => {
    const opts = { log: deps.log, clock: deps.clock };
    for (const p of observed) await publishSafely(deps.bus, topics.attacker('observed'), p, opts);
    for (const p of scored) await publishSafely(deps.bus, topics.attacker('scored'), p, opts);
  };
}

type Totals = { -readonly [K in keyof PassResult]: PassResult[K] };

/** Folds the next log batch in `tx`; returns how many rows it read. */
async function logBatch(deps: PassDeps, tx: WriteTx, totals: Totals): Promise<number> {
  const { db, settings } = deps;
  const cursor = (await db.repos.cursors.get(CORRELATE_WORKER, 'logs', tx)) ?? 0;
  const rows = await readLogsAfter(db, tx, cursor, settings.batch);
  if (rows.length === 0) return 0;
  const effects = await foldLogRows(tx, rows, settings);
  await touchFindings(tx, rows, settings);
  await db.repos.cursors.set(tx, CORRELATE_WORKER, 'logs', (rows.at(-1) as LogRow).id);
  tx.afterCommit(publishAll(deps, effects.observed, effects.scored));
  totals.logRows += rows.length;
  totals.countedRows += effects.counted;
  totals.attackersCreated += effects.created;
  totals.observed += effects.observed.length;
  totals.scored += effects.scored.length;
  totals.sessions += effects.sessions;
  return rows.length;
}

/** Folds the next credential batch (up to `head`) in `tx`; returns how many rows it read. */
async function credentialBatch(deps: PassDeps, tx: WriteTx, head: number, totals: Totals): Promise<number> {
  const { db, settings } = deps;
  const cursor = (await db.repos.cursors.get(CORRELATE_WORKER, 'credentials', tx)) ?? 0;
  const rows = await readCredentialsAfter(db, tx, cursor, head, settings.batch);
  if (rows.length === 0) return 0;
  const effects = await foldCredentials(tx, deps.bus, rows, settings);
  await db.repos.cursors.set(tx, CORRELATE_WORKER, 'credentials', (rows.at(-1) as Credential).seq);
  totals.credentialRows += rows.length;
  totals.findings += effects.findings;
  totals.orphans += effects.orphans;
  return rows.length;
}

/** Runs one pass to the heads; returns what it folded. */
export async function runPass(deps: PassDeps): Promise<PassResult> {
  const { db, settings } = deps;
  const stopped = (): boolean => deps.signal?.aborted === true;
  const drain = async (input: 'logs' | 'credentials', locks: readonly string[], batch: (tx: WriteTx) => Promise<number>): Promise<void> => {
    for (let n = settings.batch; n === settings.batch && !stopped(); ) {
      const started = performance.now();
      n = await db.write(batch, { locks });
      if (n > 0) deps.onBatch?.(input, n, performance.now() - started);
    }
  };
  const totals: Totals = { logRows: 0, credentialRows: 0, countedRows: 0, attackersCreated: 0, observed: 0, scored: 0, sessions: 0, findings: 0, orphans: 0 };
  // derived rows are committed with their log rows: read their head first, then drain the logs
  const credHead = await db.repos.credentials.head();
  await drain('logs', ['attackers'], (tx) => logBatch(deps, tx, totals));
  await drain('credentials', ['attackers', 'credentials'], (tx) => credentialBatch(deps, tx, credHead, totals));
  for (let after: string | undefined = NIL_UUID; after !== undefined && !stopped(); ) {
    const from: string = after;
    after = await db.write(
      async (tx) => {
        const { scored, lastId } = await sweepDirty(tx, settings, from);
        tx.afterCommit(publishAll(deps, [], scored));
        totals.scored += scored.length;
        return lastId;
      },
      { locks: ['attackers'] },
    );
  }
  return totals;
}

/** Rows not yet folded: logs after the cursor (for `lag_rows`). */
export async function pendingLogRows(db: Db): Promise<number> {
  const cursor = (await db.repos.cursors.get(CORRELATE_WORKER, 'logs')) ?? 0;
  return Math.max(0, (await db.repos.logs.head()) - cursor);
}
