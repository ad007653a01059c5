/**
 * `decnet ttp lint|test|eval` (ttp.md §9.2–§9.4): the rule tools. They share the validator,
 * the engine and the catalogue, and need no bus or database. They hang off `decnet ttp`,
 * the worker's command (§9.1; main.ts), beside `backfill`.
 *
 * Every action first sets V8's backtrack fallback, before any rule regex is compiled (§3.3).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { formatProblem, hasErrors, loadCatalog, CatalogError, TtpEngine, buildIndex, coverageTable, enableBacktrackFallback, INPUT_KINDS, type Problem } from '../ttp/index.js';
import { buildTestInput, TEST_START } from '../ttp/lint/tests.js';
import { ProblemList } from '../ttp/problems.js';
import { readTimestamp } from '../ttp/inputs/derive.js';
import { packVerdictsFile } from '../ttp/paths.js';
import { regexSafetyFor } from '../ttp/pack.js';
import { writeVerdictFile, verdictKey, canonicalFlags, type CachedVerdict } from '../ttp/regex/index.js';
import { defaultRulePaths, effectiveRules, patternsOf, rulePathOf, validatePaths, type RuleSetValidation } from '../ttp/ruleset.js';
import type { CompiledRule } from '../ttp/rule.js';
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from './exit.js';

interface LintFlags {
  json?: boolean;
  strict?: boolean;
  cache?: boolean;
  coverage?: boolean;
  writeVerdicts?: boolean;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function catalogOrExit(): ReturnType<typeof loadCatalog> {
  try {
    return loadCatalog({ warn: (m) => process.stderr.write(`decnet: ${m}\n`) });
  } catch (err) {
    if (err instanceof CatalogError) throw new CliExit(EXIT_FAILURE, err.message);
    throw err;
  }
}

async function validateArgs(paths: readonly string[], opts: { cache?: boolean; runTests?: boolean }): Promise<{ sets: RuleSetValidation[]; save: () => void; regex: ReturnType<typeof regexSafetyFor> }> {
  enableBacktrackFallback();
  const catalog = catalogOrExit();
  const regex = regexSafetyFor(process.env, opts.cache !== false);
  const targets = paths.length > 0 ? paths.map(rulePathOf) : defaultRulePaths(process.env);
  let sets: RuleSetValidation[];
  try {
    sets = await validatePaths(targets, { catalog, regex, runTests: opts.runTests ?? true });
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') throw new CliExit(EXIT_USAGE, `no such file or directory: ${(err as { path?: string }).path ?? ''}`);
    throw err;
  }
  return { sets, regex, save: () => regex.cache.save() };
}

async function lint(paths: string[], flags: LintFlags): Promise<void> {
  const { sets, save, regex } = await validateArgs(paths, { cache: flags.cache });
  save();
  const files = sets.flatMap((s) => s.files);
  const problems: Problem[] = files.flatMap((f) => [...f.result.problems]);
  if (flags.writeVerdicts) {
    const all = regex.cache.entries();
    const keep = new Map<string, CachedVerdict>();
    for (const f of files) for (const p of f.result.rule ? patternsOf(f.result.rule.def) : []) {
      const key = verdictKey(p.pattern, canonicalFlags(p.flags));
      const v = all.get(key);
      if (v) keep.set(key, v);
    }
    writeVerdictFile(packVerdictsFile(), regex.cache.recheck, keep);
    process.stderr.write(`decnet: wrote ${keep.size} verdicts to ${packVerdictsFile()}\n`);
  }
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (flags.coverage) {
    const defs = effectiveRules(sets).map((r) => r.def);
    process.stdout.write(coverageTable(defs, catalogOrExit()));
  } else if (flags.json) out(JSON.stringify(problems));
  else {
    for (const p of problems) out(formatProblem(p));
    out(`${files.length} rules, ${errors} errors, ${warnings} warnings`);
  }
  if (errors > 0 || (flags.strict && warnings > 0)) throw new CliExit(EXIT_FAILURE, '');
}

/** How many tests a definition declares, read from its YAML even when it does not lint. */
function declaredTests(file: string): number {
  try {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    const first = Array.isArray(docs) ? docs[0] : undefined;
    const v = first?.toJS() as { tests?: unknown } | undefined;
    return Array.isArray(v?.tests) ? v.tests.length : 0;
  } catch {
    return 0;
  }
}

async function test(paths: string[], flags: { rule?: string; verbose?: boolean }): Promise<void> {
  const { sets, save } = await validateArgs(paths, {});
  save();
  let passed = 0;
  let failed = 0;
  for (const f of sets.flatMap((s) => s.files)) {
    const r = f.result;
    if (flags.rule !== undefined && r.ruleId !== flags.rule) continue;
    const lintErrors = r.problems.filter((p) => p.severity === 'error' && p.code !== 'test_failed');
    if (lintErrors.length > 0 || r.tests === null) {
      for (const p of lintErrors) out(formatProblem(p));
      failed += Math.max(1, declaredTests(f.file));
      continue;
    }
    for (const t of r.tests) {
      const where = `${f.file}${t.line !== null ? `:${t.line}` : ''}: ${r.ruleId ?? '?'}: ${t.name}`;
      if (t.passed) {
        passed++;
        if (flags.verbose) out(`${where}: ok, ${t.message}`);
      } else {
        failed++;
        out(`${where}: ${t.message}`);
      }
    }
  }
  out(`${passed} passed, ${failed} failed`);
  if (failed > 0) throw new CliExit(EXIT_FAILURE, '');
}

async function* lines(source: string | undefined, inline: string | undefined): AsyncGenerator<string> {
  if (inline !== undefined && inline !== '-') {
    const parsed: unknown = JSON.parse(inline);
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) yield JSON.stringify(item);
    return;
  }
  const stream = source !== undefined && source !== '-' && inline !== '-' ? (await import('node:fs')).createReadStream(source) : process.stdin;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) yield line;
}

async function evaluate(file: string | undefined, flags: { input?: string; rules?: string[]; allStatus?: boolean }): Promise<void> {
  const { sets } = await validateArgs(flags.rules ?? [], { runTests: false });
  for (const s of sets) for (const f of s.files) if (hasErrors(f.result.problems)) process.stderr.write(`decnet: ${f.file} does not lint and is left out (run decnet ttp lint)\n`);
  let rules: CompiledRule[] = effectiveRules(sets);
  if (flags.allStatus) rules = rules.map((r) => (r.def.status === 'deprecated' ? { ...r, def: { ...r.def, status: 'experimental' } } : r));
  const engine = new TtpEngine(buildIndex(rules));
  let ts = (readTimestamp(TEST_START) as { ts: number }).ts;
  let n = 0;
  let invalid = 0;
  for await (const text of lines(file, flags.input)) {
    n++;
    if (text.trim() === '') continue;
    const problems = new ProblemList(null);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      process.stderr.write(`line ${n}: not JSON: ${err instanceof Error ? err.message : String(err)}\n`);
      invalid++;
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      process.stderr.write(`line ${n}: not a JSON object\n`);
      invalid++;
      continue;
    }
    const input = buildTestInput(raw as Record<string, unknown>, ts, INPUT_KINDS, [], problems, `line ${n}`, `eval:${n}`);
    if (input === null) {
      const p = problems.items[0];
      process.stderr.write(`line ${n}: ${p ? `${p.message} — ${p.hint}` : 'invalid input'}\n`);
      invalid++;
      continue;
    }
    ts = input.ts + 1000;
    for (const t of engine.evaluate(input)) out(JSON.stringify({ line: n, rule_id: t.rule_id, technique: t.technique, tactic_id: t.tactic_id, confidence: t.confidence, tag_id: t.id, input_id: t.input_id, evidence: t.evidence }));
  }
  if (invalid > 0) throw new CliExit(EXIT_FAILURE, '');
}

/** Adds `lint`, `test` and `eval` under a `ttp` command. */
export function addTtpTools(ttp: Command): void {
  ttp
    .command('lint')
    .description('lint rule files and directories (default: the shipped pack and DECNET_TTP_RULES_DIR)')
    .argument('[paths...]', 'rule files or directories')
    .option('--json', 'print the problems as a JSON array')
    .option('--strict', 'exit 1 on warnings too')
    .option('--no-cache', 're-prove every regex (and refresh the cache)')
    .option('--coverage', 'print the Markdown coverage table (technique → rules)')
    .addOption(new Option('--write-verdicts', "write the linted rules' proven regex verdicts to the pack's verdict file").hideHelp())
    .action((paths: string[], flags: LintFlags) => lint(paths, flags));
  ttp
    .command('test')
    .description('run every in-file test, each rule alone in a fresh engine; the last line is `N passed, N failed`')
    .argument('[paths...]', 'rule files or directories')
    .option('--rule <id>', 'only this rule')
    .option('--verbose', 'print passing tests too')
    .action((paths: string[], flags: { rule?: string; verbose?: boolean }) => test(paths, flags));
  ttp
    .command('eval')
    .description('evaluate JSON-lines inputs (shaped like test inputs) through the effective rules and print one JSON line per tag')
    .argument('[file]', 'a JSON-lines file, or - for standard input (the default)')
    .option('--input <json>', 'an input object or array inline, or - for standard input')
    .option('--rules <paths...>', 'rule files or directories instead of the pack and DECNET_TTP_RULES_DIR')
    .option('--all-status', 'include deprecated rules')
    .action((file: string | undefined, flags: { input?: string; rules?: string[]; allStatus?: boolean }) => evaluate(file, flags));
}
