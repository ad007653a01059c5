/**
 * Field matchers: a FieldCondSpec compiled to a closure over the evaluation context
 * (ttp.md §4.8). Equality lists are `Set`s (one lookup per value or per list element),
 * regexes are compiled once with their literal prefilter in front, and transforms are
 * memoised on the input string, so N rules reading one `command_text` decode, fold or
 * lower-case it once.
 */
import { BlockList, isIP } from 'node:net';
import type { Input } from './inputs/input.js';
import type { FieldCondSpec, RegexSpec, Scalar } from './modifiers.js';
import { backtrackFallbackEnabled, foldForPrefilter, parsePortableRegex, requiredLiterals } from './regex/index.js';
import { base64Runs, urlDecode } from './transforms.js';

/** The aggregate pseudo-fields a `when` or `confidence_scale` may read (§2.5). */
export interface AggregateView {
  readonly value: number;
  readonly count: number;
  /** Epoch ms of the oldest input in the window. */
  readonly first_ts: number;
}

/** What a matcher reads: the input, and on a fire the aggregate view. */
export interface MatchContext {
  input: Input;
  agg: AggregateView | null;
}

export type FieldMatcher = (ctx: MatchContext) => boolean;
type Getter = (ctx: MatchContext) => unknown;

/** A few recent results of a string → value function, compared by string identity/equality. */
function memo<T>(fn: (s: string) => T, size = 4): (s: string) => T {
  const keys: (string | undefined)[] = new Array<string | undefined>(size);
  const vals: T[] = new Array<T>(size);
  let next = 0;
  return (s: string): T => {
    for (let i = 0; i < size; i++) if (keys[i] === s) return vals[i] as T;
    const v = fn(s);
    keys[next] = s;
    vals[next] = v;
    next = (next + 1) % size;
    return v;
  };
}

const lower = memo((s: string) => s.toLowerCase());
const fold = memo(foldForPrefilter);
const decodeUrl = memo(urlDecode);
const decodeB64 = memo(base64Runs);

/** Reads a field: plain, dotted into a map (`headers.x-api-version`), or `aggregate.*`. */
export function getterFor(field: string): Getter {
  if (field.startsWith('aggregate.')) {
    const k = field.slice('aggregate.'.length) as keyof AggregateView;
    return (ctx) => (ctx.agg === null ? undefined : ctx.agg[k]);
  }
  const dot = field.indexOf('.');
  if (dot === -1) return (ctx) => ctx.input[field];
  const head = field.slice(0, dot);
  const rest = field.slice(dot + 1);
  return (ctx) => {
    const m = ctx.input[head];
    return m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as Record<string, unknown>)[rest] : undefined;
  };
}

let compiledBeforeFallback = 0;

/** How many rule regexes were compiled before the V8 backtrack fallback was set (the CLI keeps this 0). */
export function regexesCompiledBeforeFallback(): number {
  return compiledBeforeFallback;
}

/** A regex tester with its literal prefilter (ASCII-folded under `i`). */
export function regexTester(spec: RegexSpec): (s: string) => boolean {
  if (!backtrackFallbackEnabled()) compiledBeforeFallback++;
  const re = new RegExp(spec.pattern, `${spec.flags}u`);
  const ignoreCase = spec.flags.includes('i');
  const lits = requiredLiterals(parsePortableRegex(spec.pattern, spec.flags).ast, ignoreCase);
  if (lits === null) return (s) => re.test(s);
  if (lits.length === 1) {
    const l = lits[0] as string;
    return ignoreCase ? (s) => fold(s).includes(l) && re.test(s) : (s) => s.includes(l) && re.test(s);
  }
  return (s) => {
    const t = ignoreCase ? fold(s) : s;
    for (const l of lits) if (t.includes(l)) return re.test(s);
    return false;
  };
}

function cidrTester(values: readonly Scalar[]): (s: string) => boolean {
  const list = new BlockList();
  for (const v of values as string[]) {
    const slash = v.indexOf('/');
    const addr = slash === -1 ? v : v.slice(0, slash);
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (slash === -1) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(v.slice(slash + 1)), type);
  }
  return (s) => {
    const fam = isIP(s);
    return fam !== 0 && list.check(s, fam === 6 ? 'ipv6' : 'ipv4');
  };
}

/** One predicate per value (for `all`) and one for "any value". */
function stringPredicates(spec: FieldCondSpec): { any: (s: string) => boolean; each: ((s: string) => boolean)[] } {
  const vals = spec.values as string[];
  switch (spec.op) {
    case 'eq':
    case 'sha256': {
      const set = new Set<unknown>(spec.values);
      return { any: (s) => set.has(s), each: spec.values.map((v) => (s: string) => s === v) };
    }
    case 'contains':
      return { any: (s) => vals.some((v) => s.includes(v)), each: vals.map((v) => (s: string) => s.includes(v)) };
    case 'startswith':
      return { any: (s) => vals.some((v) => s.startsWith(v)), each: vals.map((v) => (s: string) => s.startsWith(v)) };
    case 'endswith':
      return { any: (s) => vals.some((v) => s.endsWith(v)), each: vals.map((v) => (s: string) => s.endsWith(v)) };
    case 're': {
      const each = spec.regexes.map(regexTester);
      return { any: each.length === 1 ? (each[0] as (s: string) => boolean) : (s) => each.some((t) => t(s)), each };
    }
    case 'cidr': {
      const each = spec.values.map((v) => cidrTester([v]));
      return { any: cidrTester(spec.values), each };
    }
    default:
      return { any: () => false, each: [] };
  }
}

/** The candidate texts of one string value after the key's transforms. */
function deriver(spec: FieldCondSpec): ((s: string) => readonly string[]) | null {
  if (spec.transforms.length === 0 && !spec.nocase) return null;
  const steps = spec.transforms;
  return (s) => {
    let cands: readonly string[] = [s];
    for (const t of steps) {
      if (t === 'urldecode') cands = cands.map(decodeUrl);
      else {
        const out: string[] = [];
        for (const c of cands) for (const d of decodeB64(c)) out.push(d);
        cands = out;
      }
    }
    return spec.nocase ? cands.map(lower) : cands;
  };
}

function numericTest(op: string, bound: number): (x: number) => boolean {
  switch (op) {
    case 'gt':
      return (x) => x > bound;
    case 'gte':
      return (x) => x >= bound;
    case 'lt':
      return (x) => x < bound;
    default:
      return (x) => x <= bound;
  }
}

/** Compiles one field condition (already validated). */
export function buildMatcher(spec: FieldCondSpec): FieldMatcher {
  const get = getterFor(spec.field);
  switch (spec.op) {
    case 'absent':
      return (ctx) => {
        const v = get(ctx);
        return v === undefined || v === null;
      };
    case 'exists': {
      const want = spec.values[0] === true;
      return (ctx) => {
        const v = get(ctx);
        return (v !== undefined && v !== null) === want;
      };
    }
    case 'fieldref': {
      const other = getterFor(String(spec.values[0]));
      return (ctx) => {
        const a = get(ctx);
        return a !== undefined && a !== null && a === other(ctx);
      };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const tests = spec.values.map((b) => numericTest(spec.op, b as number));
      const one = (x: unknown, t: (x: number) => boolean): boolean => typeof x === 'number' && t(x);
      return (ctx) => {
        const v = get(ctx);
        if (Array.isArray(v)) return spec.all ? tests.every((t) => v.some((x) => one(x, t))) : v.some((x) => tests.some((t) => one(x, t)));
        return spec.all ? tests.every((t) => one(v, t)) : tests.some((t) => one(v, t));
      };
    }
    default:
      break;
  }
  const { any, each } = stringPredicates(spec);
  const derive = deriver(spec);
  const plainSet = (spec.op === 'eq' || spec.op === 'sha256') && derive === null && !spec.all ? new Set<unknown>(spec.values) : null;
  const candidates = (v: unknown): readonly string[] | null => {
    if (typeof v === 'string') return derive === null ? [v] : derive(v);
    if (!Array.isArray(v)) return null;
    const out: string[] = [];
    for (const el of v) if (typeof el === 'string') for (const c of derive === null ? [el] : derive(el)) out.push(c);
    return out;
  };
  if (plainSet !== null) {
    // the common case: equality on a scalar or on each element of a list
    return (ctx) => {
      const v = get(ctx);
      if (Array.isArray(v)) {
        for (const el of v) if (plainSet.has(el)) return true;
        return false;
      }
      return plainSet.has(v);
    };
  }
  if (derive === null && !spec.all) {
    return (ctx) => {
      const v = get(ctx);
      if (typeof v === 'string') return any(v);
      if (Array.isArray(v)) {
        for (const el of v) if (typeof el === 'string' && any(el)) return true;
        return false;
      }
      return spec.op === 'eq' && (typeof v === 'number' || typeof v === 'boolean') && spec.values.includes(v);
    };
  }
  return (ctx) => {
    const v = get(ctx);
    const cands = candidates(v);
    if (cands === null) return spec.op === 'eq' && (typeof v === 'number' || typeof v === 'boolean') && (spec.all ? spec.values.every((x) => x === v) : spec.values.includes(v));
    if (spec.all) return each.every((p) => cands.some(p));
    return cands.some(any);
  };
}
