/**
 * The `ttp` worker (ttp.md §6.3): `runTtp({bus, db, config, log, signal, clock})`.
 *
 * Start: the catalogue (fail closed), the rule stores and the index, then warm-up. Loop:
 * on a wake (`system.log`, a journaled input's live event, a reconnect, or the 5 s poll)
 * drain `logs`, then the journal, one transaction per batch. Live-only inputs (intel,
 * fingerprints, identities) arrive by subscription and are written in micro-batches;
 * `attacker.observed` links tags written before the attacker existed, and a sweep every
 * 60 s catches what the event missed. A failed write is retried with the same tags after
 * 5 s (deterministic ids make the retry exact); stop finishes the batch in hand.
 */
import { hostname } from 'node:os';
import { wakeOn, type Bus, type BusEvent, type Clock, type Logger } from '../../bus/index.js';
import type { DecnetConfig } from '../../config/index.js';
import { findAttackerByIp } from '../../correlate/index.js';
import type { Db } from '../../db/index.js';
import { TtpEngine } from '../engine/engine.js';
import { inputsFromBusEvent } from '../inputs/index.js';
import { enableBacktrackFallback } from '../regex/index.js';
import { AttackerLookup } from './attacker-lookup.js';
import { Linker } from './linker.js';
import { LiveBatcher } from './live-batcher.js';
import { emptyTtpCounters, type TtpCounters } from './counters.js';
import { createRuleRuntime, type RuleRuntimeOptions } from './rule-runtime.js';
import { JOURNAL_INPUT_PATTERNS, nextJournalBatch, nextLogBatch, type ProjectionOptions, type SourceBatch } from './sources.js';
import { tagInputs } from './tagger.js';
import { TTP_WORKER, writeBatch, type BatchWrite } from './tag-writer.js';
import { longestWindowMs, warmUp } from './warmup.js';

/** What wakes the loop (§6.3 step 2): log rows and the journaled inputs' live events. */
export const TTP_WAKE_PATTERNS: readonly string[] = Object.freeze(['system.log', 'attacker.session.ended', 'email.received', 'credential.reuse.detected', 'canary.>']);
/** Live-only inputs (§1.4): evaluated from the bus, lost while the worker is down. */
export const TTP_LIVE_PATTERNS: readonly string[] = Object.freeze(['attacker.intel.enriched', 'attacker.fingerprinted', 'identity.formed', 'identity.merged']);
/** Linking (§1.6). */
export const TTP_LINK_PATTERN = 'attacker.observed';

const RETRY_MS = 5000;
const SWEEP_MS = 60_000;
const RETENTION_EVERY_MS = 3600_000;

export interface TtpDeps {
  readonly bus: Bus | null;
  readonly db: Db;
  readonly config: DecnetConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** `--no-watch`: the filesystem store keeps only its rescan. */
  readonly watch?: boolean;
  /** Updated as the worker runs (the heartbeat reads it). */
  readonly counters?: TtpCounters;
  /** `host:pid` in the catalogue and `rule.reloaded` events. */
  readonly instance?: string;
}

export async function runTtp(deps: TtpDeps): Promise<TtpCounters> {
  const { db, bus, config, log, clock, signal } = deps;
  const counters = deps.counters ?? emptyTtpCounters();
  enableBacktrackFallback();
  const ruleOpts: RuleRuntimeOptions = { db, bus, config: config.ttp, home: config.home, log, clock, watch: deps.watch ?? true, instance: deps.instance ?? `${hostname()}:${process.pid}` };
  const rules = await createRuleRuntime(ruleOpts, signal);
  const engine = new TtpEngine(rules.index(), { clock, maxGroups: config.ttp.stateMaxGroups, seenMax: config.ttp.seenMax });
  rules.onIndex((index) => engine.swap(index));

  const projection: ProjectionOptions = { maxFieldChars: config.ttp.maxFieldChars, internalDeckyPrefix: config.analysis.internalDeckyPrefix };
  const lookup = new AttackerLookup(async (ip) => (await findAttackerByIp(db, ip))?.id, clock);
  const linker = new Linker(db, lookup, log);
  const cursor = { logs: (await db.repos.cursors.get(TTP_WORKER, 'logs')) ?? 0, events: (await db.repos.cursors.get(TTP_WORKER, 'events')) ?? 0 };
  const warmed = await warmUp(engine, db, { ...projection, windowMs: longestWindowMs(rules.rules()), maxRows: config.ttp.warmupMaxRows, batch: config.ttp.batch, logsCursor: cursor.logs, eventsCursor: cursor.events });
  if (warmed > 0) log.info({ warmed }, 'ttp warm-up done');

  const refresh = (): void => {
    const s = engine.stats();
    Object.assign(counters, { linked: linker.linked, inputs: s.inputs, duplicates: s.duplicates, suppressed: s.suppressed, below_floor: s.below_floor, state_groups: s.state_groups, state_evicted: s.state_evicted }, rules.counters());
  };

  /** Writes one batch, retrying every 5 s until it lands or the worker stops; false if it stopped first. */
  const write = async (batch: BatchWrite): Promise<boolean> => {
    for (;;) {
      try {
        const r = await writeBatch(db, bus, batch);
        counters.tags_written += r.newTags.length;
        return true;
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'ttp batch failed; retrying in 5 s');
        try {
          await clock.sleep(RETRY_MS, signal);
        } catch {
          return false;
        }
      }
    }
  };

  const drainSource = async (source: 'logs' | 'events'): Promise<void> => {
    const read = source === 'logs' ? nextLogBatch : nextJournalBatch;
    while (!signal.aborted) {
      let batch: SourceBatch | null;
      try {
        batch = await read(db, cursor[source], config.ttp.batch, projection);
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err), source }, 'ttp read failed; retrying at the next wake');
        return;
      }
      if (batch === null) return;
      counters.invalid_inputs += batch.invalid;
      const tags = await tagInputs(engine, batch.inputs, lookup);
      if (!(await write({ tags, sessionLinks: batch.sessionLinks, cursor: { name: source, position: batch.position } }))) return;
      cursor[source] = batch.position;
      refresh();
    }
  };

  const updateLag = async (): Promise<void> => {
    counters.lag_logs = Math.max(0, (await db.repos.logs.head()) - cursor.logs);
    counters.lag_journal = await db.repos.journal.countAfter(cursor.events, JOURNAL_INPUT_PATTERNS);
  };

  const live = new LiveBatcher(async (inputs) => {
    const tags = await tagInputs(engine, inputs, lookup);
    if (tags.length > 0) await write({ tags });
    refresh();
  }, clock);
  const onLive = (event: BusEvent): void => {
    const r = inputsFromBusEvent(event, projection);
    counters.invalid_inputs += r.problems.length;
    live.add(r.inputs);
  };
  const listeners = bus === null ? Promise.resolve() : listen(bus, [...TTP_LIVE_PATTERNS.map((p) => [p, onLive] as const), [TTP_LINK_PATTERN, linker.onObserved] as const], signal);
  const timers = [every(clock, SWEEP_MS, signal, () => linker.sweep(), log, 'linking sweep')];
  if (config.ttp.tagRetentionDays > 0) {
    const prune = async (): Promise<void> => {
      const removed = await db.repos.ttpTags.pruneObservedBefore(new Date(clock.now() - config.ttp.tagRetentionDays * 86_400_000).toISOString());
      if (removed > 0) log.info({ removed }, 'ttp tags pruned (DECNET_TTP_TAG_RETENTION_DAYS)');
    };
    timers.push(every(clock, RETENTION_EVERY_MS, signal, prune, log, 'tag retention'));
  }

  const wakes = wakeOn(bus, TTP_WAKE_PATTERNS, config.ttp.pollSecs * 1000, { signal, clock })[Symbol.asyncIterator]();
  let next = wakes.next();
  const pass = async (): Promise<void> => {
    await drainSource('logs');
    await drainSource('events');
    await updateLag().catch(() => undefined);
    refresh();
  };
  await pass();
  while (!(await next).done) {
    await pass();
    next = wakes.next();
  }
  await Promise.all([live.drain(), linker.drained()]);
  await Promise.all([listeners, ...timers, rules.stopped()]);
  refresh();
  return counters;
}

/** Feeds each pattern's events to its handler until the signal aborts. */
async function listen(bus: Bus, routes: readonly (readonly [string, (e: BusEvent) => void])[], signal: AbortSignal): Promise<void> {
  const subs = routes.map(([pattern, handle]) => ({ sub: bus.subscribe(pattern), handle }));
  const close = (): void => subs.forEach(({ sub }) => void sub.close());
  signal.addEventListener('abort', close, { once: true });
  if (signal.aborted) close();
  try {
    await Promise.all(
      subs.map(async ({ sub, handle }) => {
        for await (const e of sub) handle(e);
      }),
    );
  } finally {
    signal.removeEventListener('abort', close);
  }
}

/** Runs `task` every `ms` until the signal aborts; a failure is logged and the next run goes on. */
async function every(clock: Clock, ms: number, signal: AbortSignal, task: () => Promise<void>, log: Logger, what: string): Promise<void> {
  while (!signal.aborted) {
    try {
      await clock.sleep(ms, signal);
    } catch {
      return;
    }
    await task().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, `ttp ${what} failed`));
  }
}
