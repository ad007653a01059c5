/**
 * The effective rules across the stores (ttp.md §5.1, §5.3, §7.3). Per rule id the
 * effective definition is the valid candidate of the highest store that has one —
 * precedence only among valid definitions. Every store change gives at most one
 * `RuleChange` for its rule: `applied` when the effective (source, hash) moved (a removal
 * falling back to a lower store included), `rejected` when the changed store's current text
 * is invalid (the running version keeps running and is named), `removed` when no store has
 * a valid definition any more. A pending text gives nothing until its proof lands.
 */
import type { CandidateRecord } from '../../db/repositories/ttp-types.js';
import type { CompiledRule, RuleSourceKind } from '../rule.js';
import { STORE_PRECEDENCE, type Candidate, type RuleStore } from './types.js';

export interface EffectiveDefinition {
  readonly source: RuleSourceKind;
  readonly rule: CompiledRule;
  readonly yaml: string;
  readonly content_sha256: string;
  readonly version: number;
}

export interface DefinitionRef {
  readonly source: RuleSourceKind;
  readonly version: number | null;
  readonly content_sha256: string;
}

/** A problem as `ttp.rule.reloaded` carries it. */
export interface ReportedProblem {
  readonly code: string;
  readonly line: number | null;
  readonly path: string;
  readonly message: string;
}

export interface RuleChange {
  readonly rule_id: string;
  readonly outcome: 'applied' | 'rejected' | 'removed';
  /** What runs after the change (for `rejected`, the running version); null when nothing does. */
  readonly effective: EffectiveDefinition | null;
  /** What ran before it. */
  readonly previous: DefinitionRef | null;
  /** `rejected` only: the current text's errors, at most 20. */
  readonly problems: readonly ReportedProblem[];
  readonly rejected_source: RuleSourceKind | null;
  /** Every store's candidate of the rule, lowest precedence first. */
  readonly candidates: CandidateRecord[];
}

/** What the catalogue table says runs (`ttp_rule_catalog`: source, content_sha256, version). */
export interface CatalogEntry {
  readonly source: RuleSourceKind | null;
  readonly content_sha256: string | null;
  readonly version?: number | null;
}

export const MAX_REPORTED_PROBLEMS = 20;

function record(source: RuleSourceKind, c: Candidate): CandidateRecord {
  const cur = c.current;
  return { source, version: cur.version, content_sha256: cur.content_sha256, valid: cur.valid, pending: cur.pending, problems: cur.problems.map((p) => ({ ...p })), path: cur.path, seen_at: cur.seen_at };
}

function refOf(e: EffectiveDefinition | undefined): DefinitionRef | null {
  return e === undefined ? null : { source: e.source, version: e.version, content_sha256: e.content_sha256 };
}

function sameDefinition(a: EffectiveDefinition | undefined, b: EffectiveDefinition | undefined): boolean {
  return a?.source === b?.source && a?.content_sha256 === b?.content_sha256;
}

export class RuleRegistry {
  /** Lowest precedence first. */
  private readonly stores: readonly RuleStore[];
  private readonly effective = new Map<string, EffectiveDefinition>();
  private readonly listeners: ((c: RuleChange) => void)[] = [];
  private readonly quietListeners: ((ruleId: string) => void)[] = [];
  private ready = false;

  /** @param stores one per source, in any order (they are ranked by `STORE_PRECEDENCE`). */
  constructor(stores: readonly RuleStore[]) {
    const sources = stores.map((s) => s.source);
    if (new Set(sources).size !== sources.length) throw new Error(`one store per source, got ${sources.join(', ')}`);
    this.stores = [...stores].sort((a, b) => STORE_PRECEDENCE.indexOf(a.source) - STORE_PRECEDENCE.indexOf(b.source));
    for (const s of this.stores) s.onChange((id) => this.changed(s, id));
  }

  /** Starts the stores, lowest first, then computes the effective rules (start itself reports nothing). */
  async start(signal: AbortSignal): Promise<void> {
    for (const s of this.stores) await s.start(signal);
    for (const id of this.ruleIds()) {
      const e = this.compute(id);
      if (e) this.effective.set(id, e);
    }
    this.ready = true;
  }

  onChange(cb: (c: RuleChange) => void): void {
    this.listeners.push(cb);
  }

  /**
   * A store's candidate changed without changing what runs or being rejected — a broken
   * file restored to the running text, a pending text — so records of it (the worker's
   * catalogue row) can be refreshed; no event is due.
   */
  onCandidateChange(cb: (ruleId: string) => void): void {
    this.quietListeners.push(cb);
  }

  /** The effective rules, by id. */
  effectiveRules(): CompiledRule[] {
    return [...this.effective.keys()].sort().map((id) => (this.effective.get(id) as EffectiveDefinition).rule);
  }

  effectiveOf(ruleId: string): EffectiveDefinition | null {
    return this.effective.get(ruleId) ?? null;
  }

  /** Every rule id some store has a candidate for, sorted. */
  ruleIds(): string[] {
    const ids = new Set<string>();
    for (const s of this.stores) for (const id of s.candidates().keys()) ids.add(id);
    return [...ids].sort();
  }

  candidateRecords(ruleId: string): CandidateRecord[] {
    return this.stores.flatMap((s) => {
      const c = s.candidates().get(ruleId);
      return c ? [record(s.source, c)] : [];
    });
  }

  /**
   * The changes made while no worker ran: per rule id whose effective (source, hash) differs
   * from the catalogue's, `applied` (previous: the catalogue's) or `removed`.
   */
  changesSince(catalog: ReadonlyMap<string, CatalogEntry>): RuleChange[] {
    const out: RuleChange[] = [];
    for (const id of [...new Set([...catalog.keys(), ...this.effective.keys()])].sort()) {
      const now = this.effective.get(id);
      const then = catalog.get(id);
      if ((now?.source ?? null) === (then?.source ?? null) && (now?.content_sha256 ?? null) === (then?.content_sha256 ?? null)) continue;
      const previous = then?.source && then.content_sha256 ? { source: then.source, version: then.version ?? null, content_sha256: then.content_sha256 } : null;
      if (now === undefined && previous === null) continue;
      out.push(this.change(id, now === undefined ? 'removed' : 'applied', now, previous, null));
    }
    return out;
  }

  private compute(ruleId: string): EffectiveDefinition | undefined {
    for (let i = this.stores.length - 1; i >= 0; i--) {
      const s = this.stores[i] as RuleStore;
      const good = s.candidates().get(ruleId)?.good;
      if (good) return { source: s.source, rule: good.rule, yaml: good.yaml, content_sha256: good.content_sha256, version: good.version };
    }
    return undefined;
  }

  private changed(store: RuleStore, ruleId: string): void {
    if (!this.ready) return; // the start computes what the stores hold
    const before = this.effective.get(ruleId);
    const after = this.compute(ruleId);
    if (after) this.effective.set(ruleId, after);
    else this.effective.delete(ruleId);
    let c: RuleChange | null = null;
    if (!sameDefinition(before, after)) c = this.change(ruleId, after ? 'applied' : 'removed', after, refOf(before), null);
    else {
      const cur = store.candidates().get(ruleId)?.current;
      if (cur && !cur.valid && !cur.pending) c = this.change(ruleId, 'rejected', after, refOf(before), store);
    }
    if (c) for (const cb of this.listeners) cb(c);
    else for (const cb of this.quietListeners) cb(ruleId);
  }

  private change(ruleId: string, outcome: RuleChange['outcome'], effective: EffectiveDefinition | undefined, previous: DefinitionRef | null, rejected: RuleStore | null): RuleChange {
    const problems = (rejected?.candidates().get(ruleId)?.current.problems ?? [])
      .filter((p) => p.severity === 'error')
      .slice(0, MAX_REPORTED_PROBLEMS)
      .map((p) => ({ code: p.code, line: p.line, path: p.path, message: p.message }));
    return { rule_id: ruleId, outcome, effective: effective ?? null, previous, problems, rejected_source: rejected?.source ?? null, candidates: this.candidateRecords(ruleId) };
  }
}
