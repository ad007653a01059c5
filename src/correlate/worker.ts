/**
 * The `correlate` worker (analysis.md §0.1): a pass at start, then one per wake —
 * `system.log`, `credential.captured`, `canary.*.triggered`, a bus reconnect, or the
 * 5 s poll. The bus only wakes it: every input is read from the tables by cursor, so
 * it is correct on every transport and with the `null` bus (a lost event costs one
 * poll), and it never wakes on `attacker.observed`, which it publishes itself. A failed
 * pass is logged and retried at the next wake (the database is the truth).
 */
import type { Bus, Clock, Logger } from '../bus/index.js';
import { wakeOn } from '../bus/index.js';
import type { AnalysisConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { WorkerDefinition } from '../supervisor/types.js';
import { pendingLogRows, runPass, type PassResult } from './pass.js';
import { runRebuild } from './rebuild.js';
import { countRows } from './sql.js';

/** What wakes `correlate` (never its own `attacker.*` events). */
export const CORRELATE_WAKE_PATTERNS: readonly string[] = Object.freeze(['system.log', 'credential.captured', 'canary.*.triggered']);

/** Heartbeat extra (analysis.md §1.6). */
export interface CorrelateCounters {
  lag_rows: number;
  rows_per_s: number;
  attackers: number;
  orphans: number;
  reuse_findings: number;
  rotations: number;
  passes: number;
  log_rows: number;
  credential_rows: number;
  observed: number;
  scored: number;
  sessions: number;
}

export function emptyCounters(): CorrelateCounters {
  return { lag_rows: 0, rows_per_s: 0, attackers: 0, orphans: 0, reuse_findings: 0, rotations: 0, passes: 0, log_rows: 0, credential_rows: 0, observed: 0, scored: 0, sessions: 0 };
}

export interface CorrelateDeps {
  readonly db: Db;
  readonly bus: Bus | null;
  readonly settings: AnalysisConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Run passes until nothing is pending, then return (`decnet correlate --once`). */
  readonly once?: boolean;
  /** Updated after every pass (the heartbeat reads it). */
  readonly counters?: CorrelateCounters;
}

function add(c: CorrelateCounters, r: PassResult, elapsedMs: number): void {
  c.passes++;
  c.log_rows += r.logRows;
  c.credential_rows += r.credentialRows;
  c.orphans += r.orphans;
  c.observed += r.observed;
  c.scored += r.scored;
  c.sessions += r.sessions;
  if (r.logRows + r.credentialRows > 0) c.rows_per_s = Math.round(((r.logRows + r.credentialRows) / Math.max(elapsedMs, 1)) * 1000);
}

/** Runs until the signal aborts (or, with `once`, until a pass finds nothing); returns the counters. */
export async function runCorrelate(deps: CorrelateDeps): Promise<CorrelateCounters> {
  const counters = deps.counters ?? emptyCounters();
  const { db, clock, log } = deps;
  const pass = async (): Promise<PassResult | undefined> => {
    const started = clock.now();
    try {
      const r = await runPass({ db, bus: deps.bus, settings: deps.settings, log, clock, signal: deps.signal });
      add(counters, r, clock.now() - started);
      Object.assign(counters, { lag_rows: await pendingLogRows(db), attackers: await countRows(db, 'attackers'), reuse_findings: await countRows(db, 'credential_reuse') });
      if (r.logRows + r.credentialRows > 0) log.debug({ ...r }, 'correlate pass');
      return r;
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'correlate pass failed; retrying at the next wake');
      return undefined;
    }
  };
  if (deps.once === true) {
    for (;;) {
      const r = await pass();
      if (r === undefined) throw new Error('correlate pass failed (see the log)');
      if (r.logRows + r.credentialRows === 0 || deps.signal.aborted) return counters;
    }
  }
  // subscribe before the first pass, so a row committed during it still wakes the next one
  const wakes = wakeOn(deps.bus, CORRELATE_WAKE_PATTERNS, deps.settings.correlatePollSecs * 1000, { signal: deps.signal, clock })[Symbol.asyncIterator]();
  let next = wakes.next();
  await pass();
  while (!(await next).done) {
    await pass();
    next = wakes.next();
  }
  return counters;
}

/** The counters of the worker this process runs (`decnet correlate`, `decnet up --bus memory`). */
const processCounters = emptyCounters();

export const correlateWorker: WorkerDefinition = {
  name: 'correlate',
  description: 'fold ingested logs into attackers, sessions and credential-reuse findings (analysis.md §1–§3)',
  options: (cmd) =>
    cmd
      .option('--once', 'run passes until nothing is pending, print the counters as JSON and exit')
      .option('--rebuild', 'recompute everything folded so far from log id 0, keeping ids and publishing nothing; print a summary as JSON and exit'),
  // a rebuild is a one-off beside the worker (which keeps folding new rows), not the worker
  runsAsWorker: (opts) => opts.rebuild !== true,
  run: async (deps, opts) => {
    if (opts.rebuild === true) {
      const result = await runRebuild({ db: deps.db, settings: deps.config.analysis, log: deps.log, clock: deps.clock, signal: deps.signal });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const once = opts.once === true;
    const counters = await runCorrelate({ db: deps.db, bus: deps.bus, settings: deps.config.analysis, log: deps.log, clock: deps.clock, signal: deps.signal, once, counters: processCounters });
    if (once) process.stdout.write(`${JSON.stringify(counters)}\n`);
  },
  counters: () => ({ ...processCounters }),
};
