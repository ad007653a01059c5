/**
 * Which rules there are, as the API shows them (ttp.md §6.2): the worker's
 * `ttp_rule_catalog`, never its memory or directory. Until a worker has written a row,
 * the builtin pack's and the database store's view, validated by the API itself: the
 * pack once per process, the database rows again only when their hashes change.
 */
import { readFileSync } from 'node:fs';
import type { CandidateRecord, Db, RuleCatalogRow, RuleSource, StoredRule } from '../../../db/index.js';
import { builtinPackDir, listRuleFiles, recallCasesFor, sha256, validateFiles, type Catalog, type RegexSafety, type RuleDefinition } from '../../../ttp/index.js';
import { textFacts, type TextFacts } from '../../../ttp/index.js';
import { validateText, withUnproven, type ApiValidation } from './rule-validation.js';

/** Lowest precedence first (§5.1). */
export const PRECEDENCE: readonly RuleSource[] = ['builtin', 'filesystem', 'database'];

/** A rule as the API shows it: the catalogue row's columns under `id`, and what its text says of itself. */
export type RuleEntry = Omit<RuleCatalogRow, 'rule_id' | 'instance' | 'updated_at'> & {
  readonly id: string;
  readonly pending: string | null;
  readonly description: string | null;
  readonly evidence_fields: readonly string[];
  readonly test_count: number;
};

/** The valid candidate of the highest store below `database`, e.g. what takes over when the API's definition goes. */
export function lowerEffective(entry: RuleEntry | undefined): { source: RuleSource; version: number | null } | null {
  const lower = (entry?.candidates ?? []).filter((c) => c.valid && c.source !== 'database').sort((a, b) => PRECEDENCE.indexOf(b.source) - PRECEDENCE.indexOf(a.source))[0];
  return lower ? { source: lower.source, version: lower.version } : null;
}

/** Emits as the catalogue stores them: `{technique, tactic, confidence}`. */
export function emitSummaries(def: RuleDefinition): { technique: string; tactic: string; confidence: number }[] {
  return def.emits.map((e) => ({ technique: e.technique, tactic: e.tacticId, confidence: e.confidence }));
}

interface Candidate {
  readonly record: CandidateRecord;
  readonly text: string;
  readonly result: ApiValidation;
}

/** Keeps `value` under `key`, dropping everything once the memo holds 1000 entries. */
function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= 1000) memo.clear();
  memo.set(key, value);
  return value;
}

/** The entry a valid candidate makes effective. */
function effectiveEntry(id: string, winner: Candidate, candidates: CandidateRecord[], lastError: RuleEntry['last_error']): RuleEntry {
  const def = (winner.result.rule as NonNullable<ApiValidation['rule']>).def;
  return {
    id,
    source: winner.record.source,
    version: def.version,
    content_sha256: def.contentSha256,
    yaml: winner.text,
    name: def.name,
    title: def.title,
    status: def.status,
    pending: def.pending,
    description: def.description,
    inputs: def.inputs,
    emits: emitSummaries(def),
    evidence_fields: def.evidenceFields,
    test_count: def.tests.length,
    candidates,
    last_error: lastError,
    loaded_at: null,
  };
}

function candidate(source: RuleSource, text: string, result: ApiValidation, path: string | null, seenAt: string): Candidate {
  const record: CandidateRecord = {
    source,
    version: textFacts(text).version,
    content_sha256: result.contentSha256,
    valid: result.valid,
    pending: result.pending.length > 0,
    problems: result.problems.map((p) => ({ ...p })),
    path,
    seen_at: seenAt,
  };
  return { record, text, result };
}

/**
 * The entry of a valid definition just stored through the API, beside what `known` (the
 * view before the write) says of the id's other stores; a database error it supersedes is dropped.
 */
export function databaseEntry(id: string, text: string, result: ApiValidation, storedAt: string, known: RuleEntry | undefined): RuleEntry {
  const stored = candidate('database', text, result, null, storedAt);
  const others = (known?.candidates ?? []).filter((c) => c.source !== 'database');
  const lastError = known?.last_error && known.last_error.source !== 'database' ? known.last_error : null;
  return effectiveEntry(id, stored, [...others, stored.record], lastError);
}

/** The API's own view: per id, the valid candidate of the highest store wins (§5.1). */
function composeFallback(stores: ReadonlyArray<ReadonlyMap<string, Candidate>>): Map<string, RuleEntry> {
  const ids = new Set(stores.flatMap((s) => [...s.keys()]));
  const out = new Map<string, RuleEntry>();
  for (const id of [...ids].sort()) {
    const cands = stores.map((s) => s.get(id)).filter((c): c is Candidate => c !== undefined);
    const winner = [...cands].reverse().find((c) => c.result.valid);
    const failed = [...cands].reverse().find((c) => !c.result.valid);
    const lastError = failed ? { source: failed.record.source, at: failed.record.seen_at, problems: failed.record.problems } : null;
    const records = cands.map((c) => c.record);
    if (winner) {
      out.set(id, effectiveEntry(id, winner, records, lastError));
    } else {
      out.set(id, { id, source: null, version: null, content_sha256: null, yaml: null, name: null, title: null, status: null, pending: null, description: null, inputs: [], emits: [], evidence_fields: [], test_count: 0, candidates: records, last_error: lastError, loaded_at: null });
    }
  }
  return out;
}

/** The shipped pack, validated once per process and catalogue. */
const builtinByCatalog = new WeakMap<Catalog, Promise<Map<string, Candidate>>>();

async function validateBuiltin(catalog: Catalog, regex: RegexSafety, seenAt: string): Promise<Map<string, Candidate>> {
  const files = await validateFiles(listRuleFiles(builtinPackDir()), { catalog, regex, source: 'builtin', recallCases: recallCasesFor, proofs: 'cached' });
  const out = new Map<string, Candidate>();
  for (const f of files) {
    if (f.result.ruleId === null || out.has(f.result.ruleId)) continue;
    const text = readFileSync(f.file, 'utf8');
    out.set(f.result.ruleId, candidate('builtin', text, withUnproven(f.result, text, f.file), f.file, seenAt));
  }
  return out;
}

export class RuleViews {
  private fallback: { key: string; view: Promise<Map<string, RuleEntry>> } | undefined;
  private readonly databaseMemo = new Map<string, ApiValidation>();
  private readonly factsMemo = new Map<string, TextFacts>();

  constructor(
    private readonly db: Db,
    private readonly catalog: () => Catalog,
    private readonly regex: () => RegexSafety,
    private readonly now: () => string,
  ) {}

  /** Every rule by id, sorted by id. */
  async current(): Promise<ReadonlyMap<string, RuleEntry>> {
    const rows = await this.db.repos.ttpRules.listCatalog();
    // a row without a definition or a candidate is a rule that no store has any more (`removed`): no such rule
    const known = rows.filter((r) => r.source !== null || r.candidates.length > 0);
    if (rows.length > 0) return new Map(known.sort((a, b) => (a.rule_id < b.rule_id ? -1 : 1)).map((r) => [r.rule_id, this.fromCatalog(r)]));
    const hashes = await this.db.repos.ttpRules.hashes();
    const key = [...hashes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, sha]) => `${id}:${sha}`).join(',');
    if (this.fallback?.key !== key) {
      const view = this.buildFallback([...hashes.keys()]);
      this.fallback = { key, view };
      view.catch(() => {
        if (this.fallback?.view === view) this.fallback = undefined;
      });
    }
    return this.fallback.view;
  }

  private facts(sha: string, text: string): TextFacts {
    return this.factsMemo.get(sha) ?? remember(this.factsMemo, sha, textFacts(text));
  }

  private fromCatalog(r: RuleCatalogRow): RuleEntry {
    const facts = r.yaml === null ? null : this.facts(r.content_sha256 ?? r.yaml, r.yaml);
    const { rule_id: id, instance: _instance, updated_at: _updated, ...row } = r;
    return { ...row, id, pending: facts?.pending ?? null, description: facts?.description ?? null, evidence_fields: facts?.evidence_fields ?? [], test_count: facts?.test_count ?? 0 };
  }

  private async buildFallback(ids: string[]): Promise<Map<string, RuleEntry>> {
    const catalog = this.catalog();
    const regex = this.regex();
    let builtin = builtinByCatalog.get(catalog);
    if (builtin === undefined) {
      builtin = validateBuiltin(catalog, regex, this.now());
      builtinByCatalog.set(catalog, builtin);
      builtin.catch(() => builtinByCatalog.delete(catalog));
    }
    const stored = ids.length > 0 ? await this.db.repos.ttpRules.getRules(ids) : [];
    const database = new Map<string, Candidate>();
    for (const row of stored) database.set(row.rule_id, candidate('database', row.yaml, await this.validateStored(row, catalog, regex), null, row.updated_at));
    return composeFallback([await builtin, database]);
  }

  /** A stored row is validated like a file (it may have been edited by hand), once per content. */
  private async validateStored(row: StoredRule, catalog: Catalog, regex: RegexSafety): Promise<ApiValidation> {
    const key = sha256(row.yaml);
    return this.databaseMemo.get(key) ?? remember(this.databaseMemo, key, await validateText(row.yaml, { catalog, regex, source: 'database' }));
  }
}
