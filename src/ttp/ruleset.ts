/**
 * Rule sets for the tools (`decnet ttp lint|test|eval`): which directories to read (the
 * shipped pack, then `DECNET_TTP_RULES_DIR`), validating them (each directory its own
 * duplicate scope), and the effective rules — per rule id, the valid definition of the
 * highest-precedence path (ttp.md §5.1, without the database store the worker adds).
 */
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { decnetHome } from '../bus/index.js';
import type { Catalog } from './catalog/index.js';
import { hasErrors } from './problems.js';
import { listRuleFiles, validateFiles, type FileValidation } from './pack.js';
import { builtinPackDir } from './paths.js';
import { recallCasesFor } from './recall-cases.js';
import type { RegexSafety } from './regex/index.js';
import type { CompiledRule, RuleDefinition, RuleSourceKind } from './rule.js';

export interface RulePath {
  readonly path: string;
  readonly source: RuleSourceKind;
}

/** `DECNET_TTP_RULES_DIR`, default `$DECNET_HOME/rules/ttp`; null when `off`. */
export function userRulesDir(env: Readonly<Record<string, string | undefined>>): string | null {
  const v = env.DECNET_TTP_RULES_DIR?.trim();
  if (v === 'off') return null;
  if (v) return resolve(v);
  return join(decnetHome(env), 'rules', 'ttp');
}

/** The default paths: the pack, then the user's directory when it exists. */
export function defaultRulePaths(env: Readonly<Record<string, string | undefined>>): RulePath[] {
  const out: RulePath[] = [{ path: builtinPackDir(), source: 'builtin' }];
  const user = userRulesDir(env);
  if (user !== null && existsSync(user)) out.push({ path: user, source: 'filesystem' });
  return out;
}

/** A path given on the command line: inside the shipped pack it is `builtin`. */
export function rulePathOf(p: string): RulePath {
  const abs = resolve(p);
  const pack = builtinPackDir();
  return { path: abs, source: abs === pack || abs.startsWith(pack + sep) ? 'builtin' : 'filesystem' };
}

export interface RuleSetValidation {
  readonly path: RulePath;
  readonly files: FileValidation[];
}

export async function validatePaths(paths: readonly RulePath[], opts: { catalog: Catalog; regex: RegexSafety; runTests?: boolean }): Promise<RuleSetValidation[]> {
  const out: RuleSetValidation[] = [];
  for (const p of paths) {
    const files = await validateFiles(listRuleFiles(p.path), { catalog: opts.catalog, regex: opts.regex, source: p.source, recallCases: recallCasesFor, runTests: opts.runTests ?? true });
    out.push({ path: p, files });
  }
  return out;
}

/** Per rule id, the valid definition of the last (highest-precedence) path that has one. */
export function effectiveRules(sets: readonly RuleSetValidation[]): CompiledRule[] {
  const byId = new Map<string, CompiledRule>();
  for (const set of sets) for (const f of set.files) if (f.result.rule && !hasErrors(f.result.problems)) byId.set(f.result.rule.def.id, f.result.rule);
  return [...byId.values()];
}

/** The regexes a definition uses (for writing the pack's verdict file). */
export function patternsOf(def: RuleDefinition): { pattern: string; flags: string }[] {
  return def.selections.flatMap((s) => s.alternatives.flatMap((m) => m.flatMap((c) => c.regexes.map((r) => ({ pattern: r.pattern, flags: r.flags })))));
}
