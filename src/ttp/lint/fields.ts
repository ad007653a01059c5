/**
 * Field names against the rule's input kinds (ttp.md §2.2): a name is known when some kind
 * in scope has it; dotted names go into map fields; `aggregate.*` pseudo-fields exist in an
 * aggregate rule. Also whether a name is reserved (no producer sends it, §2.6).
 */
import { COMMON_FIELDS, FIELD_RENAMES, KINDS, SECRET_FIELDS, type FieldType, type InputKind } from '../inputs/kinds.js';
import { closest } from '../problems.js';

export const AGGREGATE_FIELDS = ['aggregate.value', 'aggregate.count', 'aggregate.first_ts'] as const;

export type FieldLookup =
  | { readonly ok: true; readonly type: FieldType; readonly reserved: boolean; readonly aggregate: boolean }
  | { readonly ok: false; readonly secret: boolean; readonly hint: string };

export function lookupField(name: string, kinds: readonly InputKind[], hasAggregate: boolean): FieldLookup {
  if (name.startsWith('aggregate.')) {
    if (hasAggregate && (AGGREGATE_FIELDS as readonly string[]).includes(name)) return { ok: true, type: 'number', reserved: false, aggregate: true };
    return { ok: false, secret: false, hint: hasAggregate ? `use one of ${AGGREGATE_FIELDS.join(', ')}` : '`aggregate.*` needs an `aggregate` block' };
  }
  const dot = name.indexOf('.');
  const head = dot === -1 ? name : name.slice(0, dot);
  if (SECRET_FIELDS.has(head)) return { ok: false, secret: true, hint: 'no input has plaintext credentials (they are redacted) — match `password_sha256|sha256: <value>`' };
  let found: FieldType | undefined;
  let reserved = true;
  for (const k of kinds) {
    const t = COMMON_FIELDS[head] ?? KINDS[k].fields[head];
    if (t === undefined) continue;
    found ??= t;
    if (!KINDS[k].reserved.has(head)) reserved = false;
  }
  if (found !== undefined) {
    if (dot !== -1) {
      if (found !== 'map') return { ok: false, secret: false, hint: `\`${head}\` is not a mapping — write \`${head}\`` };
      return { ok: true, type: 'string', reserved, aggregate: false };
    }
    return { ok: true, type: found, reserved, aggregate: false };
  }
  const rename = FIELD_RENAMES[name];
  const known = knownFields(kinds);
  const near = closest(name, known);
  return { ok: false, secret: false, hint: rename && (known.includes(rename) || rename.startsWith('an ')) ? `use ${rename.startsWith('an ') ? rename : `\`${rename}\``}` : near ? `use \`${near}\`` : `fields of ${kinds.join(', ') || 'these inputs'}: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}` };
}

/** Kind fields first (what a rule usually means), then the common ones. */
export function knownFields(kinds: readonly InputKind[]): string[] {
  const out = new Set<string>();
  for (const k of kinds) for (const f of Object.keys(KINDS[k].fields)) out.add(f);
  for (const f of Object.keys(COMMON_FIELDS)) out.add(f);
  return [...out];
}
