/**
 * One correlate pass (analysis.md §0.2, §1.2): read the credentials head, drain `logs`
 * after the cursor in batches — each folded and its cursor advanced in one transaction —
 * then fold credentials up to that head (their log rows were committed with them, so
 * their attackers exist by then), then publish what `attacker.scored` coalescing held
 * back once its interval has passed. Events go out after each commit; a crash redoes
 * the uncommitted batch and publishes nothing twice. While a rebuild's replay window is
 * open (cursors.ts) an input's batches replay it first, quietly.
 *
 * Every batch transaction takes the `attackers` lock first, so two correlate processes
 * (`decnet correlate --once` beside `decnet up`) serialise instead of double-counting,
 * and the credentials batch also takes `credentials` (correlate back-fills
 * `attacker_id` there; canonical lock order keeps ingest and correlate deadlock-free).
 */
import { publishSafely, topics, type Bus, type Clock, type Logger } from '../bus/index.js';
import type { AnalysisConfig } from '../config/index.js';
import type { Db, WriteTx } from '../db/index.js';
import { advance, batchSpan, CORRELATE_WORKER, type CorrelateInput } from './cursors.js';
import { readCredentialsAfter, readLogsAfter } from './inputs.js';
import { foldLogRows, type ObservedPayload } from './profiles.js';
import { dropUnderivedFindings, foldCredentials, touchFindings } from './reuse.js';
import { sweepDirty, type ScoredPayload } from './scored.js';

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const OBSERVED = topics.attacker(topics.ATTACKER_OBSERVED);
const SCORED = topics.attacker(topics.ATTACKER_SCORED);

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
  readonly onBatch?: (input: CorrelateInput, rows: number, ms: number) => void;
  /** Fold only a rebuild's replay windows, and sweep nothing (rebuild.ts). */
  readonly replayOnly?: boolean;
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
    for (const p of observed) await publishSafely(deps.bus, OBSERVED, p, opts);
    for (const p of scored) await publishSafely(deps.bus, SCORED, p, opts);
  };
}

type Totals = { -readonly [K in keyof PassResult]: PassResult[K] };

/** What one batch transaction did: rows read, and whether another batch may follow. */
interface BatchOutcome {
  readonly rows: number;
  readonly more: boolean;
}

const NOTHING: BatchOutcome = { rows: 0, more: false };

/** Folds the next log batch in `tx`. */
async function logBatch(deps: PassDeps, tx: WriteTx, totals: Totals): Promise<BatchOutcome> {
  const { db, settings } = deps;
  const span = await batchSpan(db, tx, 'logs', Number.POSITIVE_INFINITY);
  if (!span.replay && deps.replayOnly === true) return NOTHING;
  const rows = await readLogsAfter(db, tx, span.after, span.upTo, settings.batch);
  if (rows.length === 0 && !span.replay) return NOTHING;
  const effects = await foldLogRows(tx, rows, settings, span.replay);
  await touchFindings(tx, rows, settings);
  await advance(db, tx, 'logs', span, rows.at(-1)?.id, rows.length === settings.batch);
  tx.afterCommit(publishAll(deps, effects.observed, effects.scored));
  totals.logRows += rows.length;
  totals.countedRows += effects.counted;
  totals.attackersCreated += effects.created;
  totals.observed += effects.observed.length;
  totals.scored += effects.scored.length;
  totals.sessions += effects.sessions;
  return { rows: rows.length, more: span.replay || rows.length === settings.batch };
}

/** Folds the next credential batch (up to `head`) in `tx`. */
async function credentialBatch(deps: PassDeps, tx: WriteTx, head: number, totals: Totals): Promise<BatchOutcome> {
  const { db, settings } = deps;
  const span = await batchSpan(db, tx, 'credentials', head);
  if (!span.replay && deps.replayOnly === true) return NOTHING;
  const rows = await readCredentialsAfter(db, tx, span.after, span.upTo, settings.batch);
  if (rows.length === 0 && !span.replay) return NOTHING;
  const effects = await foldCredentials(tx, deps.bus, rows, settings, span.replay);
  // the replay has rewritten every finding that still qualifies: the others go
  if (await advance(db, tx, 'credentials', span, rows.at(-1)?.seq, rows.length === settings.batch)) await dropUnderivedFindings(tx);
  totals.credentialRows += rows.length;
  totals.findings += effects.findings;
  totals.orphans += effects.orphans;
  return { rows: rows.length, more: span.replay || rows.length === settings.batch };
}

/** Runs one pass to the heads; returns what it folded. */
export async function runPass(deps: PassDeps): Promise<PassResult> {
  const { db, settings } = deps;
  const stopped = (): boolean => deps.signal?.aborted === true;
  const drain = async (input: CorrelateInput, locks: readonly string[], batch: (tx: WriteTx) => Promise<BatchOutcome>): Promise<void> => {
    for (let more = true; more && !stopped(); ) {
      const started = performance.now();
      const done = await db.write(batch, { locks });
      more = done.more;
      if (done.rows > 0) deps.onBatch?.(input, done.rows, performance.now() - started);
    }
  };
  const totals: Totals = { logRows: 0, credentialRows: 0, countedRows: 0, attackersCreated: 0, observed: 0, scored: 0, sessions: 0, findings: 0, orphans: 0 };
  // derived rows are committed with their log rows: read their head first, then drain the logs
  const credHead = await db.repos.credentials.head();
  await drain('logs', ['attackers'], (tx) => logBatch(deps, tx, totals));
  await drain('credentials', ['attackers', 'credentials'], (tx) => credentialBatch(deps, tx, credHead, totals));
  if (deps.replayOnly === true) return totals;
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
