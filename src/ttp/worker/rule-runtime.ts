/**
 * What the worker runs (ttp.md §5.3–§5.4, §6.2, §7.3–§7.4): the three stores under one
 * registry, the operators' rule states, and the index built from both.
 *
 * - A registry change is written as the rule's `ttp_rule_catalog` row and journaled as
 *   `ttp.rule.reloaded.<rule_id>` in one transaction of its own, then published; the
 *   index is rebuilt and swapped at once (the engine never waits for the database).
 * - At start every rule's catalogue row is written, and `rule.reloaded` is published only
 *   for rules whose effective (source, hash) differs from what the catalogue said
 *   (changes made while no worker ran). The catalogue also seeds each store's last good
 *   text, so a file broken while the worker was down keeps its old version firing.
 * - States are polled every DECNET_TTP_DB_POLL_MS; an expired setting is deleted with
 *   `DELETE … WHERE rule_id = ? AND expires_at = ?` (a newer setting survives) and only
 *   the worker whose delete removed the row journals the `auto_revert` event.
 */
import type { Bus, Clock, Logger } from '../../bus/index.js';
import { isoFromEpochMs, topics } from '../../bus/index.js';
import type { TtpConfig } from '../../config/index.js';
import { journalAndPublish, type Db, type RuleCatalogRow, type RuleStateRow } from '../../db/index.js';
import { loadCatalog } from '../catalog/index.js';
import { buildIndex, type RuleIndex, type RuleSetting } from '../engine/rule-index.js';
import { regexSafetyFor } from '../pack.js';
import { builtinPackDir } from '../paths.js';
import type { CompiledRule, RuleSourceKind } from '../rule.js';
import { BuiltinStore, createRuleValidator, DatabaseStore, FilesystemStore, MAX_REPORTED_PROBLEMS, RuleRegistry, type CatalogEntry, type RuleChange, type RuleStore } from '../stores/index.js';

export interface RuleRuntimeOptions {
  readonly db: Db;
  readonly bus: Bus | null;
  readonly config: TtpConfig;
  readonly home: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly watch: boolean;
  readonly instance: string;
  /** The shipped pack (tests point it elsewhere). */
  readonly builtinDir?: string;
}

export interface RuleRuntime {
  index(): RuleIndex;
  rules(): CompiledRule[];
  onIndex(cb: (index: RuleIndex) => void): void;
  counters(): { rules_active: number; rules_invalid: number; rules_pending: number };
  /** Resolves when the runtime's own timers and writes have ended (after the signal aborts). */
  stopped(): Promise<void>;
}

function settingOf(row: RuleStateRow): RuleSetting {
  return { state: row.state, confidence_max: row.confidence_max, expires_at: row.expires_at === null ? null : Date.parse(row.expires_at) };
}

type CatalogChange = Pick<RuleChange, 'rule_id' | 'effective' | 'candidates' | 'problems' | 'rejected_source'>;

/**
 * The rule's `last_error`: a rejection's problems; else, while some store's current text
 * is still invalid, the error already recorded (or, after a restart, that text's errors);
 * null once every current text is valid.
 */
function lastErrorOf(change: CatalogChange, previous: RuleCatalogRow | undefined, now: string): RuleCatalogRow['last_error'] {
  if (change.rejected_source !== null) return { source: change.rejected_source, at: now, problems: change.problems.map((p) => ({ ...p })) };
  const broken = change.candidates.filter((c) => !c.valid && !c.pending);
  const latest = broken[broken.length - 1];
  if (latest === undefined) return null;
  if (previous?.last_error) return previous.last_error;
  const problems = latest.problems.filter((p) => p.severity === 'error').slice(0, MAX_REPORTED_PROBLEMS).map((p) => ({ code: p.code, line: p.line, path: p.path, message: p.message }));
  return { source: latest.source, at: now, problems };
}

function catalogRow(change: CatalogChange, previous: RuleCatalogRow | undefined, instance: string, now: string): RuleCatalogRow {
  const e = change.effective;
  const def = e?.rule.def;
  const lastError = lastErrorOf(change, previous, now);
  return {
    rule_id: change.rule_id,
    source: e?.source ?? null,
    version: e?.version ?? null,
    content_sha256: e?.content_sha256 ?? null,
    yaml: e?.yaml ?? null,
    name: def?.name ?? null,
    title: def?.title ?? null,
    status: def?.status ?? null,
    inputs: def ? [...def.inputs] : [],
    emits: def ? def.emits.map((m) => ({ technique: m.technique, tactic: m.tacticId, confidence: m.confidence })) : [],
    candidates: change.candidates,
    last_error: lastError,
    loaded_at: e === null ? null : previous?.content_sha256 === e.content_sha256 && previous.source === e.source ? previous.loaded_at : now,
    instance,
    updated_at: now,
  };
}

function reloadedPayload(c: RuleChange, instance: string): Record<string, unknown> {
  const prev = { previous_version: c.previous?.version ?? null, previous_source: c.previous?.source ?? null };
  if (c.outcome === 'removed') return { rule_id: c.rule_id, deleted: true, outcome: 'removed', ...prev, instance };
  if (c.outcome === 'rejected') {
    const rejected = c.candidates.find((r) => r.source === c.rejected_source);
    return { rule_id: c.rule_id, rule_version: rejected?.version ?? null, outcome: 'rejected', source: c.rejected_source, problems: c.problems, running_version: c.effective?.version ?? null, running_source: c.effective?.source ?? null, instance };
  }
  const e = c.effective as NonNullable<RuleChange['effective']>;
  return { rule_id: c.rule_id, rule_version: e.version, outcome: 'applied', source: e.source, content_sha256: e.content_sha256, ...prev, instance };
}

/** The three stores under one registry, each seeded with the catalogue's last good texts. */
async function buildRegistry(opts: Omit<RuleRuntimeOptions, 'bus' | 'instance'>): Promise<{ registry: RuleRegistry; catalogRows: Map<string, RuleCatalogRow> }> {
  const { db, config, log, clock } = opts;
  const catalog = loadCatalog({ bundle: config.attackBundle, warn: (m) => log.warn(m) });
  const regex = regexSafetyFor({ DECNET_HOME: opts.home, DECNET_TTP_REDOS_TIMEOUT_MS: String(config.redosTimeoutMs) });
  const validator = createRuleValidator({ catalog, regex });
  const catalogRows = new Map((await db.repos.ttpRules.listCatalog()).map((r) => [r.rule_id, r]));
  const seedFor = (source: RuleSourceKind): Map<string, string> => new Map([...catalogRows.values()].filter((r) => r.source === source && r.yaml !== null).map((r) => [r.rule_id, r.yaml as string]));
  const base = { validator, clock, log };
  const stores: RuleStore[] = [new BuiltinStore(opts.builtinDir ?? builtinPackDir(), { ...base, seed: seedFor('builtin') })];
  if (config.rulesDir !== null) stores.push(new FilesystemStore(config.rulesDir, { ...base, seed: seedFor('filesystem'), debounceMs: config.fsDebounceMs, rescanSecs: config.fsRescanSecs, watch: opts.watch }));
  stores.push(new DatabaseStore(db.repos.ttpRules, { ...base, seed: seedFor('database'), pollMs: config.dbPollMs }));
  return { registry: new RuleRegistry(stores), catalogRows };
}

/** The effective rules of the stores once, without watching (`decnet ttp backfill`). */
export async function loadEffectiveRules(opts: Omit<RuleRuntimeOptions, 'bus' | 'instance' | 'watch'>): Promise<CompiledRule[]> {
  const stop = new AbortController();
  const { registry } = await buildRegistry({ ...opts, watch: false });
  await registry.start(stop.signal);
  stop.abort();
  return registry.effectiveRules();
}

export async function createRuleRuntime(opts: RuleRuntimeOptions, signal: AbortSignal): Promise<RuleRuntime> {
  const { db, bus, config, log, clock, instance } = opts;
  const { registry, catalogRows } = await buildRegistry(opts);

  let states = new Map<string, RuleStateRow>();
  let index: RuleIndex = buildIndex([]);
  let ruleCounts = { rules_active: 0, rules_invalid: 0, rules_pending: 0 };
  const listeners: ((i: RuleIndex) => void)[] = [];
  const count = (): void => {
    let invalid = 0;
    let pending = 0;
    for (const id of registry.ruleIds()) {
      const records = registry.candidateRecords(id);
      if (records.some((r) => !r.valid && !r.pending)) invalid++;
      if (records.some((r) => r.pending)) pending++;
    }
    ruleCounts = { rules_active: index.rules.length, rules_invalid: invalid, rules_pending: pending };
  };
  const rebuild = (): void => {
    const settings = new Map([...states.values()].map((r) => [r.rule_id, settingOf(r)]));
    index = buildIndex(registry.effectiveRules(), settings);
    count();
    for (const cb of listeners) cb(index);
  };

  // changes are written one at a time, in the order they happened
  let writes = Promise.resolve();
  /** Writes the rule's catalogue row and, for a real change, journals its `rule.reloaded`. */
  const persist = (change: CatalogChange, announce: RuleChange | null): void => {
    writes = writes.then(async () => {
      try {
        await db.write(async (tx) => {
          const now = clock.isoNow();
          const row = catalogRow(change, catalogRows.get(change.rule_id), instance, now);
          await db.repos.ttpRules.upsertCatalog(tx, row);
          catalogRows.set(change.rule_id, row);
          if (announce) await journalAndPublish(tx, bus, topics.ttpRuleReloaded(change.rule_id), reloadedPayload(announce, instance) as never);
        });
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err), rule_id: change.rule_id }, 'ttp could not record a rule change; the new index runs anyway');
      }
    });
  };
  const refresh = (ruleId: string): void => persist({ rule_id: ruleId, effective: registry.effectiveOf(ruleId), candidates: registry.candidateRecords(ruleId), problems: [], rejected_source: null }, null);
  registry.onCandidateChange((ruleId) => {
    count();
    refresh(ruleId);
  });
  registry.onChange((change) => {
    if (change.outcome !== 'rejected') rebuild();
    else count();
    log.info({ rule_id: change.rule_id, outcome: change.outcome, source: change.effective?.source ?? change.rejected_source }, 'ttp rule reloaded');
    persist(change, change);
  });

  await registry.start(signal);
  states = new Map((await db.repos.ttpRules.listStates()).map((r) => [r.rule_id, r]));
  rebuild();

  // at start: announce what changed while no worker ran, and write every rule's row
  const snapshot = new Map<string, CatalogEntry>([...catalogRows].map(([id, r]) => [id, { source: r.source, content_sha256: r.content_sha256, version: r.version }]));
  const changed = new Set<string>();
  for (const c of registry.changesSince(snapshot)) {
    changed.add(c.rule_id);
    persist(c, c);
  }
  for (const id of registry.ruleIds()) {
    if (!changed.has(id)) refresh(id);
  }
  await writes;

  const pollStates = async (): Promise<void> => {
    const rows = await db.repos.ttpRules.listStates();
    const now = clock.now();
    for (const r of rows) {
      if (r.expires_at === null || Date.parse(r.expires_at) > now) continue;
      await db.write(async (tx) => {
        if (!(await db.repos.ttpRules.deleteExpiredState(tx, r.rule_id, r.expires_at as string))) return;
        await journalAndPublish(tx, bus, topics.ttpRuleState(r.rule_id), { rule_id: r.rule_id, state: 'enabled', previous_state: r.state, auto_revert: true, set_by: 'system', set_at: isoFromEpochMs(now) } as never);
      });
    }
    const live = (await db.repos.ttpRules.listStates()).filter((r) => r.expires_at === null || Date.parse(r.expires_at) > now);
    const next = new Map(live.map((r) => [r.rule_id, r]));
    if (JSON.stringify([...next.entries()]) !== JSON.stringify([...states.entries()])) {
      states = next;
      rebuild();
    }
  };
  const poller = (async () => {
    while (!signal.aborted) {
      try {
        await clock.sleep(Math.min(config.dbPollMs, 1000), signal);
      } catch {
        break;
      }
      await pollStates().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ttp rule states poll failed'));
    }
    await writes;
  })();

  return {
    index: () => index,
    rules: () => registry.effectiveRules(),
    onIndex: (cb) => listeners.push(cb),
    counters: () => ({ ...ruleCounts }),
    stopped: () => poller,
  };
}
