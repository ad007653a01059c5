/** What the JSON adapters share: reading a line as an object, and flattening values to text. */
import { canonicalTimestamp, cleanText } from '../normalize.js';

export type JsonObject = Record<string, unknown>;

/** The line as a JSON object, or the reason it is not one. */
export function readJsonObject(text: string): { ok: true; value: JsonObject } | { ok: false; reason: 'bad_json' | 'not_an_object' } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'bad_json' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'not_an_object' };
  return { ok: true, value: value as JsonObject };
}

/** A value as field text: strings cleaned, numbers and booleans printed, lists and objects as JSON; undefined for null/absent. */
export function flat(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return cleanText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return cleanText(JSON.stringify(value));
}

/** Copies every top-level value of `obj` not in `skip` into `fields` as flat text. */
export function flatFields(obj: JsonObject, fields: Record<string, string>, skip: ReadonlySet<string>, lowerKeys = false): void {
  for (const [key, value] of Object.entries(obj)) {
    if (skip.has(key)) continue;
    const text = flat(value);
    if (text !== undefined) fields[cleanText(lowerKeys ? key.toLowerCase() : key)] = text;
  }
}

/** The adapter's timestamp, or the receive time with a flag when it is missing or unreadable. */
export function adapterTimestamp(value: unknown, receivedAt: string, flags: string[]): string {
  const ts = typeof value === 'string' || typeof value === 'number' ? canonicalTimestamp(typeof value === 'number' ? value * 1000 : value) : null;
  if (ts !== null) return ts;
  flags.push(value === undefined || value === null ? 'nil_timestamp' : 'bad_timestamp');
  return receivedAt;
}

/** A number or numeric string as plain decimal text; undefined otherwise. */
export function numericText(value: unknown): string | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? String(n) : undefined;
}
