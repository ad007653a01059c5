/**
 * `decnet correlate --rebuild` (analysis.md §1.6): recomputes what correlate derives —
 * attackers, their targets, sessions, credential-reuse findings — from log id 0, keeping
 * the ids others hold (attackers, sessions, findings), and publishes nothing.
 *
 * One transaction resets the derived state and opens the replay windows (cursors.ts):
 * the cursors go back to 0 and the positions they had become the windows' ends. Passes
 * then replay the windows: the same fold, without `attacker.observed`, journaled reuse
 * events or `attacker.scored` (rebuilt summaries that differ from the one last published
 * stay dirty, for the worker's sweep to announce as any change). Sessions are rewritten
 * by log row and findings by key, so their ids stay. Rows after the windows were never
 * folded: the worker folds and announces them as usual.
 *
 * A crash or a stop mid-way leaves the windows open, and the next pass of any correlate
 * process goes on replaying them, quietly.
 */
import type { Db } from '../db/index.js';
import { resetAttackers } from './attacker-state.js';
import { CORRELATE_WORKER, readPosition, replayWindowName, type CorrelateInput } from './cursors.js';
import { runPass, type PassDeps } from './pass.js';
import { dropUnderivedFindings, resetFindings } from './reuse.js';
import { countRows } from './sql.js';

const INPUTS: readonly CorrelateInput[] = ['logs', 'credentials'];

export type RebuildDeps = Omit<PassDeps, 'bus' | 'replayOnly'>;

/** `--rebuild`'s summary (printed as JSON). */
export interface RebuildResult {
  log_rows: number;
  credential_rows: number;
  attackers: number;
  sessions: number;
  reuse_findings: number;
  /** False when stopped before the windows closed (the next pass finishes the replay). */
  complete: boolean;
}

/** Resets the derived state and opens the replay windows, in one transaction. */
async function beginRebuild(db: Db): Promise<void> {
  await db.write(
    async (tx) => {
      for (const input of INPUTS) {
        // a rebuild begun during another keeps the larger end: both replay what was folded
        const end = Math.max(await readPosition(db, tx, input), await readPosition(db, tx, replayWindowName(input)));
        await db.repos.cursors.set(tx, CORRELATE_WORKER, replayWindowName(input), end);
        await db.repos.cursors.set(tx, CORRELATE_WORKER, input, 0);
      }
      const now = tx.clock.isoNow();
      await tx.db.deleteFrom('attacker_targets').execute();
      await resetAttackers(tx, now);
      await resetFindings(tx);
      // no credential was folded: no window will rewrite the findings
      if ((await readPosition(db, tx, replayWindowName('credentials'))) === 0) await dropUnderivedFindings(tx);
    },
    { locks: ['attackers'] },
  );
}

/** Resets, then replays until the windows close (or the signal stops it). */
export async function runRebuild(deps: RebuildDeps): Promise<RebuildResult> {
  await beginRebuild(deps.db);
  const r = await runPass({ ...deps, bus: null, replayOnly: true });
  let open = false;
  for (const input of INPUTS) open ||= (await readPosition(deps.db, undefined, replayWindowName(input))) > 0;
  return { log_rows: r.logRows, credential_rows: r.credentialRows, attackers: await countRows(deps.db, 'attackers'), sessions: r.sessions, reuse_findings: await countRows(deps.db, 'credential_reuse'), complete: !open };
}
