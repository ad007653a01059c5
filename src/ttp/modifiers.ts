/**
 * Field-condition keys and values (ttp.md §2.3): `field`, then transforms, then at most one
 * match modifier (none = equality), then optionally `all`. This module turns a key and its
 * YAML value into a typed `FieldCondSpec`, reporting §3.2 problems through a callback; the
 * matchers that run them are built in matchers.ts.
 */
import { isIP } from 'node:net';
import { sha256Hex } from './inputs/derive.js';
import type { FieldType } from './inputs/kinds.js';
import { closest, type PathSegment, type ProblemCode } from './problems.js';

export type Transform = 'urldecode' | 'b64decode';
export type MatchOp = 'eq' | 'absent' | 'contains' | 'startswith' | 'endswith' | 're' | 'cidr' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists' | 'fieldref' | 'sha256';
export type Scalar = string | number | boolean;

export interface RegexSpec {
  readonly pattern: string;
  /** `i`, `m`, `s`, canonical order; `u` is always added at compile time. */
  readonly flags: string;
}

export interface FieldCondSpec {
  /** The key as written (`path|urldecode|re`). */
  readonly key: string;
  /** The field as written, possibly dotted (`headers.x-api-version`, `aggregate.value`). */
  readonly field: string;
  readonly transforms: readonly Transform[];
  readonly nocase: boolean;
  readonly op: MatchOp;
  readonly all: boolean;
  /** Values to compare (lower-cased under nocase; hashes for `sha256`; the other field for `fieldref`). */
  readonly values: readonly Scalar[];
  readonly regexes: readonly RegexSpec[];
}

export type Report = (code: ProblemCode, message: string, hint: string, sub?: readonly PathSegment[]) => void;

const TRANSFORMS = new Set(['nocase', 'urldecode', 'b64decode']);
const MATCHES = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'gt', 'gte', 'lt', 'lte', 'exists', 'fieldref', 'sha256']);
const NUMERIC = new Set(['gt', 'gte', 'lt', 'lte']);
const STRING_OPS = new Set(['contains', 'startswith', 'endswith']);
const KNOWN_MODIFIERS = [...TRANSFORMS, ...MATCHES, 'all'];

const MODIFIER_RENAMES: Readonly<Record<string, string>> = {
  regex: 'use `re`',
  regexp: 'use `re`',
  contain: 'use `contains`',
  starts_with: 'use `startswith`',
  startwith: 'use `startswith`',
  ends_with: 'use `endswith`',
  endwith: 'use `endswith`',
  i: 'use `nocase`',
  icase: 'use `nocase`',
  ignorecase: 'use `nocase`',
  lower: 'use `nocase`',
  base64: 'use `b64decode`',
  base64decode: 'use `b64decode`',
  b64: 'use `b64decode`',
  url: 'use `urldecode`',
  urldecoded: 'use `urldecode`',
  not: 'there is no `not` modifier — negate in the condition: `sel and not filter`',
  eq: 'write the key without a modifier (equality)',
  equals: 'write the key without a modifier (equality)',
  in: 'write the key without a modifier: a list value means any of them',
  any: 'write the key without a modifier: a list value means any of them',
  cased: 'matching is case-sensitive by default',
  ge: 'use `gte`',
  le: 'use `lte`',
  hash: 'use `sha256`',
};

export interface ParsedKey {
  readonly field: string;
  readonly transforms: readonly Transform[];
  readonly nocase: boolean;
  readonly op: MatchOp | null;
  readonly all: boolean;
}

/** Splits and checks a key's modifiers; null when a problem makes the key unusable. */
export function parseKey(key: string, report: Report): ParsedKey | null {
  const [field = '', ...mods] = key.split('|');
  const transforms: Transform[] = [];
  let nocase = false;
  let op: MatchOp | null = null;
  let all = false;
  let ok = true;
  for (const mod of mods) {
    if (TRANSFORMS.has(mod)) {
      if (op !== null || all) {
        report('modifier_order', `transform \`${mod}\` after a match modifier`, `transforms first: \`${field}|${mod}|${op ?? 'all'}\``);
        ok = false;
      }
      if (mod === 'nocase') {
        if (nocase) report('modifier_conflict', '`nocase` twice', 'write it once');
        nocase = true;
      } else {
        if (transforms.includes(mod as Transform)) report('modifier_conflict', `\`${mod}\` twice`, 'write it once');
        transforms.push(mod as Transform);
      }
    } else if (MATCHES.has(mod)) {
      if (all) {
        report('modifier_order', `\`${mod}\` after \`all\``, `\`all\` comes last: \`${field}|${mod}|all\``);
        ok = false;
      }
      if (op !== null) {
        report('modifier_conflict', `\`${op}\` and \`${mod}\` on one key`, 'one match modifier per key — split it into two selections');
        ok = false;
      }
      op = mod as MatchOp;
    } else if (mod === 'all') {
      if (all) report('modifier_conflict', '`all` twice', 'write it once');
      all = true;
    } else {
      const hint = MODIFIER_RENAMES[mod] ?? (closest(mod, KNOWN_MODIFIERS) ? `use \`${closest(mod, KNOWN_MODIFIERS)}\`` : `modifiers are ${KNOWN_MODIFIERS.join(', ')}`);
      report('unknown_modifier', `unknown modifier \`${mod}\``, hint);
      ok = false;
    }
  }
  if (!ok) return null;
  if (nocase && op === 're') {
    report('nocase_with_re', '`nocase` does not combine with `re`', 'use `flags: i` beside the pattern: `{pattern: …, flags: i}`');
    return null;
  }
  if (nocase && op !== null && !STRING_OPS.has(op)) {
    report('modifier_conflict', `\`nocase\` does not combine with \`${op}\``, '`nocase` applies to equality, contains, startswith and endswith');
    return null;
  }
  if (transforms.length > 0 && op !== null && (NUMERIC.has(op) || op === 'exists' || op === 'fieldref' || op === 'cidr' || op === 'sha256')) {
    report('modifier_conflict', `\`${transforms.join('|')}\` does not combine with \`${op}\``, 'transforms apply to text matches only');
    return null;
  }
  return { field, transforms, nocase, op, all };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;
}

/** What a value of this field type must be for equality. */
function scalarFits(t: FieldType | undefined, v: unknown): boolean {
  switch (t) {
    case 'string':
    case 'strings':
      return typeof v === 'string';
    case 'number':
    case 'numbers':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'scalar':
      return typeof v === 'string' || typeof v === 'number';
    default:
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  }
}

function quoteHint(v: unknown): string {
  return `quote it: \`'${String(v)}'\``;
}

function checkCidr(v: string): boolean {
  const slash = v.indexOf('/');
  const addr = slash === -1 ? v : v.slice(0, slash);
  const fam = isIP(addr);
  if (fam === 0) return false;
  if (slash === -1) return true;
  const bits = v.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (fam === 4 ? 32 : 128);
}

/**
 * Checks the value against the parsed key and the field's type, and builds the spec.
 * `fieldT` is undefined for an unknown field (reported elsewhere) and for pseudo-fields.
 */
export function buildCondition(key: string, parsed: ParsedKey, value: unknown, fieldT: FieldType | undefined, report: Report): FieldCondSpec | null {
  const op: MatchOp = parsed.op ?? 'eq';
  const base = { key, field: parsed.field, transforms: parsed.transforms, nocase: parsed.nocase, all: parsed.all };
  if (value === null && op === 'eq' && !parsed.all) return { ...base, op: 'absent', values: [], regexes: [] };
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (Array.isArray(value) && value.length === 0) {
    report('empty_list', 'an empty list matches nothing', 'remove the condition, or list the values');
    return null;
  }
  if (parsed.all && list.length < 2) {
    report('all_needs_list', '`all` needs two or more values', 'list the values, or drop `|all`');
    return null;
  }
  let ok = true;
  const values: Scalar[] = [];
  const regexes: RegexSpec[] = [];
  list.forEach((v, i) => {
    const sub = Array.isArray(value) ? [i] : [];
    const fail = (code: ProblemCode, message: string, hint: string): void => {
      report(code, message, hint, sub);
      ok = false;
    };
    switch (op) {
      case 'eq':
        if (v === null || typeof v === 'object') fail('wrong_type', `expected a value, got ${typeName(v)}`, v === null ? 'null (absent) is a value of its own — write `field: null` alone' : 'write a scalar or a list of scalars');
        else if (fieldT === 'map') fail('wrong_type', `\`${parsed.field}\` is a mapping`, `match one entry: \`${parsed.field}.<name>\``);
        else if (!scalarFits(fieldT, v)) fail('wrong_type', `\`${parsed.field}\` holds ${fieldT === 'number' || fieldT === 'numbers' ? 'numbers' : fieldT === 'boolean' ? 'booleans' : 'text'}, got ${typeName(v)}`, typeof v === 'number' || typeof v === 'boolean' ? quoteHint(v) : fieldT === 'boolean' ? 'write true or false' : 'write a number');
        else values.push(parsed.nocase && typeof v === 'string' ? v.toLowerCase() : (v as Scalar));
        break;
      case 'contains':
      case 'startswith':
      case 'endswith':
      case 'cidr':
      case 'sha256':
        if (typeof v !== 'string') fail('wrong_type', `\`${op}\` compares text, got ${typeName(v)}`, typeof v === 'number' || typeof v === 'boolean' || v === null ? quoteHint(v) : 'write a string or a list of strings');
        else if (op === 'cidr' && !checkCidr(v)) fail('bad_cidr', `\`${v}\` is not an address or network`, 'write `10.0.0.0/8` or `fd00::/8` (prefix ≤ 32 for IPv4, ≤ 128 for IPv6)');
        else if (op === 'sha256') values.push(sha256Hex(v));
        else values.push(parsed.nocase ? v.toLowerCase() : v);
        break;
      case 're':
        if (typeof v === 'string') regexes.push({ pattern: v, flags: '' });
        else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          const o = v as Record<string, unknown>;
          const extra = Object.keys(o).filter((k) => k !== 'pattern' && k !== 'flags');
          if (extra.length > 0) fail('unknown_field', `unknown \`${extra[0]}\` in a pattern`, 'a pattern is `{pattern: …, flags: …}`');
          else if (typeof o.pattern !== 'string') fail(o.pattern === undefined ? 'missing_field' : 'wrong_type', '`pattern` must be a string', 'write `{pattern: \'…\', flags: i}`');
          else if (o.flags !== undefined && typeof o.flags !== 'string') fail('bad_flags', `flags ${typeName(o.flags)}`, 'only `i`, `m`, `s`, as one string: `flags: i`');
          else regexes.push({ pattern: o.pattern, flags: (o.flags as string | undefined) ?? '' });
        } else fail('modifier_value_type', `\`re\` needs a pattern, got ${typeName(v)}`, "write a string or `{pattern: '…', flags: i}`");
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (typeof v !== 'number') fail('modifier_value_type', `\`${op}\` needs a number, got ${typeName(v)}`, typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? `write \`${Number(v)}\` without quotes` : 'write a number');
        else values.push(v);
        break;
      case 'exists':
        if (typeof v !== 'boolean' || Array.isArray(value)) fail('modifier_value_type', `\`exists\` needs true or false, got ${typeName(value)}`, 'write `exists: true` or `exists: false`');
        else values.push(v);
        break;
      case 'fieldref':
        if (typeof v !== 'string' || Array.isArray(value)) fail('modifier_value_type', `\`fieldref\` needs a field name, got ${typeName(value)}`, 'write the other field: `from_domain|fieldref: return_path_domain`');
        else values.push(v);
        break;
      case 'absent':
        break;
    }
  });
  if (!ok) return null;
  return { ...base, op, values, regexes };
}
