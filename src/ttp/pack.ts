/**
 * Rule files on disk: listing (`*.yaml`/`*.yml` with a sane name, no subdirectories),
 * validating a set of files with one id per directory (the name sorting first wins, the
 * others get `duplicate_rule_id`), and loading the shipped pack (`rules/ttp/`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decnetHome } from '../bus/index.js';
import { loadCatalog, type Catalog } from './catalog/index.js';
import { buildIndex, type RuleIndex, type RuleSetting } from './engine/rule-index.js';
import { hasErrors, type Problem } from './problems.js';
import { recallCasesFor } from './recall-cases.js';
import { DEFAULT_PROOF_TIMEOUT_MS, memoryRegexSafety, RecheckProver, RegexSafety, recheckVersion, VerdictCache } from './regex/index.js';
import { builtinPackDir, packVerdictsFile } from './paths.js';
import type { CompiledRule, RuleSourceKind } from './rule.js';
import { validateRule, type ValidateOptions, type ValidationResult } from './validate.js';

/** Names a store reads (§5.2): swap files, `~` backups, dotfiles and `4913` probes never match. */
export const RULE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/;

export interface FileValidation {
  readonly file: string;
  readonly result: ValidationResult;
}

/** Rule files of a directory (sorted by name), or the file itself. */
export function listRuleFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  return readdirSync(path)
    .filter((n) => RULE_FILE_NAME.test(n))
    .sort()
    .map((n) => join(path, n))
    .filter((f) => statSync(f).isFile());
}

/** `v` as the loser of a duplicate id: invalid, with `duplicate_rule_id` naming the file that won. */
export function duplicate(v: FileValidation, first: string): FileValidation {
  const p: Problem = { code: 'duplicate_rule_id', severity: 'error', file: v.file, line: 1, column: 1, rule_id: v.result.ruleId, path: 'id', message: `\`${v.result.ruleId}\` is also in ${first}`, hint: 'one file per id — rename this rule or remove the file' };
  return { file: v.file, result: { ...v.result, rule: null, problems: [...v.result.problems, p] } };
}

/** Validates the files of one directory (or single files), marking duplicate ids. */
export async function validateFiles(files: readonly string[], opts: Omit<ValidateOptions, 'file'>): Promise<FileValidation[]> {
  const out: FileValidation[] = [];
  const firstOf = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    let v: FileValidation = { file, result: await validateRule(text, { ...opts, file }) };
    const id = v.result.ruleId;
    if (id !== null) {
      const first = firstOf.get(id);
      if (first !== undefined) v = duplicate(v, first);
      else firstOf.set(id, file);
    }
    out.push(v);
  }
  return out;
}

/** The verdict cache for a process: the pack's committed file plus `$DECNET_HOME/cache/ttp-regex-verdicts.json`. */
export function regexSafetyFor(env: Readonly<Record<string, string | undefined>>, useCache = true): RegexSafety {
  const writable = join(decnetHome(env), 'cache', 'ttp-regex-verdicts.json');
  const timeout = Number(env.DECNET_TTP_REDOS_TIMEOUT_MS ?? DEFAULT_PROOF_TIMEOUT_MS);
  const prover = new RecheckProver(Number.isInteger(timeout) && timeout > 0 ? timeout : DEFAULT_PROOF_TIMEOUT_MS);
  return new RegexSafety(new VerdictCache(recheckVersion(), [packVerdictsFile()], writable), prover, useCache);
}

export interface LoadedRules {
  readonly rules: CompiledRule[];
  readonly files: FileValidation[];
}

export interface PackOptions {
  readonly dir?: string;
  readonly catalog?: Catalog;
  readonly regex?: RegexSafety;
  readonly source?: RuleSourceKind;
  readonly runTests?: boolean;
}

/** Validates and compiles every rule of a directory (default: the shipped pack). */
export async function loadRuleDir(opts: PackOptions = {}): Promise<LoadedRules> {
  const dir = resolve(opts.dir ?? builtinPackDir());
  const files = await validateFiles(existsSync(dir) ? listRuleFiles(dir) : [], {
    catalog: opts.catalog ?? loadCatalog(),
    regex: opts.regex ?? memoryRegexSafety([packVerdictsFile()]),
    source: opts.source ?? 'builtin',
    recallCases: recallCasesFor,
    runTests: opts.runTests ?? true,
  });
  return { rules: files.flatMap((f) => (f.result.rule && !hasErrors(f.result.problems) ? [f.result.rule] : [])), files };
}

/** The shipped pack as an index (non-deprecated, valid rules). */
export async function loadPackIndex(opts: PackOptions & { settings?: ReadonlyMap<string, RuleSetting> } = {}): Promise<{ index: RuleIndex; loaded: LoadedRules }> {
  const loaded = await loadRuleDir(opts);
  return { index: buildIndex(loaded.rules, opts.settings), loaded };
}
