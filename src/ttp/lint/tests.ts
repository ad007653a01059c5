/**
 * In-file tests (ttp.md §2.8): expands each test's inputs — `repeat`/`every` with `{n}`,
 * `after` (1 s by default), the defaults (attacker 203.0.113.10, decky-01, `service` by
 * kind, 2026-01-01T00:00:00Z) and the derived fields of §1.3 — into Inputs, checks them
 * against their kind's schema, and checks the test floor of §2.6 and the recall cases a
 * rule must carry (§11.3).
 */
import type { Input } from '../inputs/input.js';
import { isInputKind, type InputKind } from '../inputs/kinds.js';
import { kindHint } from './header.js';
import { projectInput, readTimestamp } from '../inputs/derive.js';
import { rawInputSchema } from '../inputs/schemas.js';
import type { PathSegment, ProblemList } from '../problems.js';
import type { ExpectDoc, TestDoc } from '../rule-schema.js';
import type { RuleStatus, TestDef, TestExpect } from '../rule.js';
import { parseDuration } from './durations.js';

export const TEST_DEFAULTS = { attacker_ip: '203.0.113.10', decky: 'decky-01' } as const;
export const TEST_START = '2026-01-01T00:00:00Z';
const DEFAULT_AFTER_MS = 1000;
const MAX_REPEAT = 10_000;

/** A case a rule's tests must hold (§11.3): matched by raw input fields, or by test name. */
export interface RecallCase {
  readonly rule: string;
  readonly fire: boolean;
  readonly match: Readonly<Record<string, unknown>> | null;
  readonly name?: string;
}

function substitute(v: unknown, n: number): unknown {
  if (typeof v === 'string') return v.includes('{n}') ? v.replaceAll('{n}', String(n)) : v;
  if (Array.isArray(v)) return v.map((x) => substitute(x, n));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, n)]));
  return v;
}

function expectOf(e: ExpectDoc): TestExpect {
  if (Array.isArray(e)) return { techniques: e, count: null, maxConfidence: null };
  return { techniques: e.techniques, count: e.count ?? null, maxConfidence: e.max_confidence ?? null };
}

function isMustNot(e: TestExpect): boolean {
  return e.techniques.length === 0;
}

interface Expanded {
  readonly raw: Record<string, unknown>;
  readonly afterMs: number | null;
  readonly path: readonly PathSegment[];
}

function expand(item: Record<string, unknown>, path: readonly PathSegment[], problems: ProblemList, label: string): Expanded[] | null {
  if ('repeat' in item) {
    const { repeat, every, after, input, ...rest } = item;
    if (Object.keys(rest).length > 0 || typeof repeat !== 'number' || !Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT || input === null || typeof input !== 'object' || Array.isArray(input)) {
      problems.add('test_input_invalid', path, `${label}: \`repeat\` takes {repeat: N (1–${MAX_REPEAT}), every?, after?, input: {...}}`, 'write `{repeat: 5, every: 2s, input: {kind: …}}`');
      return null;
    }
    const everyMs = every === undefined ? DEFAULT_AFTER_MS : parseDuration(every);
    const afterMs = after === undefined ? null : parseDuration(after);
    if (everyMs === null || (after !== undefined && afterMs === null)) {
      problems.add('test_input_invalid', path, `${label}: bad \`every\`/\`after\``, 'write a duration such as `2s`, `5m`');
      return null;
    }
    const out: Expanded[] = [];
    for (let n = 1; n <= repeat; n++) out.push({ raw: substitute(input, n) as Record<string, unknown>, afterMs: n === 1 ? afterMs : everyMs, path: [...path, 'input'] });
    return out;
  }
  const { after, ...raw } = item;
  const afterMs = after === undefined ? null : parseDuration(after);
  if (after !== undefined && afterMs === null && after !== '0s') {
    problems.add('test_input_invalid', [...path, 'after'], `${label}: \`after: ${String(after)}\` is not a duration`, 'write `after: 2h`');
    return null;
  }
  return [{ raw, afterMs, path }];
}

/** Builds one Input from a raw test record, reporting schema problems. */
export function buildTestInput(raw: Record<string, unknown>, ts: number, kinds: readonly InputKind[], path: readonly PathSegment[], problems: ProblemList, label: string, ref: string): Input | null {
  const kind = raw.kind;
  if (!isInputKind(kind) || !kinds.includes(kind)) {
    const hint = isInputKind(kind) ? `this rule's inputs are ${kinds.join(', ')}` : typeof kind === 'string' ? kindHint(kind) : `write \`kind:\` (one of ${kinds.join(', ')})`;
    problems.add('test_input_invalid', [...path, 'kind'], `${label} has \`kind: ${String(kind)}\``, hint);
    return null;
  }
  const parsed = rawInputSchema(kind).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
    const field = keys[0] ?? issue?.path.join('.') ?? '';
    problems.add('test_input_invalid', [...path, ...(keys.length > 0 ? [] : (issue?.path as PathSegment[]) ?? [])], `${label}: ${keys.length > 0 ? `\`${kind}\` has no field \`${field}\`` : `\`${field}\` has the wrong type`}`, keys.length > 0 ? 'see the fields of the kind in docs/rules.md' : 'write the type the field holds (text, number, true/false, list)');
    return null;
  }
  const withTs = raw.ts === undefined ? { ...raw, ts } : raw;
  try {
    return projectInput(withTs as Record<string, unknown> & { kind: InputKind }, { defaults: TEST_DEFAULTS, source: { type: 'test', ref } });
  } catch (err) {
    problems.add('test_input_invalid', [...path, 'ts'], `${label}: ${err instanceof Error ? err.message : String(err)}`, 'write `ts: 2026-01-01T00:00:00Z`');
    return null;
  }
}

export function checkTests(tests: readonly TestDoc[], ruleId: string, kinds: readonly InputKind[], emitted: ReadonlySet<string>, problems: ProblemList, locateLine: (path: readonly PathSegment[]) => number | null): TestDef[] | null {
  let ok = true;
  const out: TestDef[] = [];
  const start = (readTimestamp(TEST_START) as { ts: number }).ts;
  tests.forEach((t, ti) => {
    const path: PathSegment[] = ['tests', ti];
    if ((t.input === undefined) === (t.inputs === undefined)) {
      problems.add(t.input === undefined ? 'missing_field' : 'wrong_type', path, t.input === undefined ? 'a test needs `input` or `inputs`' : 'both `input` and `inputs`', 'write `input: {...}` for one input or `inputs: [...]`');
      ok = false;
      return;
    }
    const items = t.input !== undefined ? [{ item: t.input, path: [...path, 'input'] }] : (t.inputs ?? []).map((item, i) => ({ item, path: [...path, 'inputs', i] }));
    const inputs: Input[] = [];
    let ts = start;
    let first = true;
    let good = true;
    items.forEach(({ item, path: ip }, idx) => {
      const label = `input ${idx + 1}`;
      const expanded = expand(item, ip, problems, label);
      if (expanded === null) {
        good = false;
        return;
      }
      for (const e of expanded) {
        if (!first) ts += e.afterMs ?? DEFAULT_AFTER_MS;
        else if (e.afterMs !== null) ts += e.afterMs;
        first = false;
        const input = buildTestInput(e.raw, ts, kinds, e.path, problems, label, `${ruleId}:${t.name}`);
        if (input === null) {
          good = false;
          return;
        }
        ts = input.ts;
        inputs.push(input);
      }
    });
    const expect = expectOf(t.expect);
    for (const tech of expect.techniques) {
      if (!emitted.has(tech)) {
        problems.add('test_unknown_technique', [...path, 'expect'], `expects \`${tech}\`, not emitted by this rule`, emitted.size > 0 ? `this rule emits ${[...emitted].join(', ')}` : 'expect only techniques the rule emits');
        good = false;
      }
    }
    if (!good) {
      ok = false;
      return;
    }
    out.push({ name: t.name, line: locateLine(path), inputs, expect });
  });
  return ok ? out : null;
}

/** The §2.6 floor: ≥ 2 must-fire and ≥ 2 must-not-fire tests (≥ 4 each when regex-heavy). */
export function checkTestFloor(tests: readonly TestDoc[] | undefined, status: RuleStatus, regexHeavy: boolean, problems: ProblemList): void {
  if (status === 'deprecated') return;
  const need = regexHeavy ? 4 : 2;
  const list = tests ?? [];
  const not = list.filter((t) => isMustNot(expectOf(t.expect))).length;
  const fire = list.length - not;
  if (fire >= need && not >= need) return;
  const severity = status === 'experimental' ? 'warning' : 'error';
  problems.add('tests_missing', ['tests'], `${fire} must-fire and ${not} must-not-fire tests`, `${status === 'stable' ? 'a stable' : 'an experimental'} rule needs ≥ ${need} must-fire and ≥ ${need} must-not-fire tests${regexHeavy ? ' (this rule is regex-heavy)' : ''}`, severity);
}

function matchesCase(t: TestDoc, c: RecallCase): boolean {
  if (c.fire === isMustNot(expectOf(t.expect))) return false;
  if (c.name !== undefined) return t.name === c.name;
  const match = c.match;
  if (match === null) return false;
  const raws: Record<string, unknown>[] = t.input !== undefined ? [t.input] : (t.inputs ?? []).map((i) => ('repeat' in i ? (i.input as Record<string, unknown>) : i));
  return raws.some((raw) => Object.entries(match).every(([k, v]) => JSON.stringify(raw[k]) === JSON.stringify(v)));
}

/** Recall cases (§11.3) a rule's tests do not hold. */
export function missingCases(tests: readonly TestDoc[] | undefined, cases: readonly RecallCase[]): RecallCase[] {
  return cases.filter((c) => !(tests ?? []).some((t) => matchesCase(t, c)));
}
