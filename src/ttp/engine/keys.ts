/** Group keys (ttp.md §2.5, §4.4): the `by` values of an input, as text for lookups and as values for tags. */
import type { Input } from '../inputs/input.js';

/**
 * The group key of an input as a string (null when a `by` field is null or absent): string
 * values joined by U+0001, others as marked JSON. One string field — the common
 * `[attacker_ip]` — is the input's own string, with no allocation.
 */
export function groupKeyText(input: Input, by: readonly string[]): string | null {
  let text = '';
  for (let i = 0; i < by.length; i++) {
    const v = input[by[i] as string];
    if (v === undefined || v === null) return null;
    const part = typeof v === 'string' ? v : `\u0002${JSON.stringify(v)}`;
    text = i === 0 ? part : `${text}\u0001${part}`;
  }
  return text;
}

/** As groupKeyText, with absent values written as null (suppression groups may hold nulls). */
export function groupKeyTextWithNulls(input: Input, by: readonly string[]): string {
  let text = '';
  for (let i = 0; i < by.length; i++) {
    const v = input[by[i] as string];
    const part = typeof v === 'string' ? v : `\u0002${JSON.stringify(v ?? null)}`;
    text = i === 0 ? part : `${text}\u0001${part}`;
  }
  return text;
}

/** The `by` values, built only on a tag. */
export function groupKeyOf(input: Input, by: readonly string[]): unknown[] {
  return by.map((f) => input[f]);
}
