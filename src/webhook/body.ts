/**
 * The webhook body (eventplane.md §4.4, CORRECTIONS #6.4, #6.9): canonical JSON per
 * RFC 8785 (JSON Canonicalization Scheme), built once when the delivery row is created,
 * stored, and sent byte for byte on every attempt, so signatures over it are stable and
 * a receiver can re-canonicalise to compare.
 *
 * RFC 8785 in short: no whitespace; object keys sorted by their UTF-16 code units,
 * recursively; strings escaped as ECMAScript's JSON.stringify does (only `"`, `\` and
 * control characters; non-ASCII stays literal); numbers in ECMAScript's shortest
 * round-trip form (so `-0` is `0`). Hand-written: it is twenty lines, and a dependency
 * would be the only one of its kind. (The spec's "by code point" and RFC 8785's UTF-16
 * order differ only for keys mixing U+E000–U+FFFF with astral characters; RFC 8785
 * wins, CORRECTIONS #6.9.)
 */

/** Thrown for values JSON cannot carry (NaN, Infinity, bigint, functions, cycles). */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

/** The RFC 8785 serialisation of a JSON value. */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, path: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} has no JSON form`);
      return JSON.stringify(value); // ECMAScript Number→string, which RFC 8785 §3.2.2.3 adopts
    case 'string':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`a ${typeof value} has no JSON form`);
  }
  const obj = value as object;
  const withToJson = obj as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON(), path);
  if (path.has(obj)) throw new CanonicalJsonError('a cyclic value has no JSON form');
  path.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = `[${obj.map((item: unknown) => (item === undefined || typeof item === 'function' ? 'null' : write(item, path))).join(',')}]`;
  } else {
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined || typeof item === 'function') continue;
      parts.push(`${JSON.stringify(key)}:${write(item, path)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  path.delete(obj);
  return out;
}

/** Epoch seconds as ISO-8601 UTC with six fractional digits, rounded to the microsecond. */
export function isoMicros(epochSeconds: number): string {
  const micros = Math.round(epochSeconds * 1e6);
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  return `${new Date(ms).toISOString().slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

/** What a body is made of: an envelope's parts. */
export interface BodyEvent {
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  /** Epoch seconds. */
  readonly ts: number;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** `{"id":…,"payload":{…},"topic":…,"ts":"…Z","type":…,"v":1}`, canonical. */
export function webhookBody(event: BodyEvent): string {
  return canonicalJson({ id: event.id, payload: event.payload, topic: event.topic, ts: isoMicros(event.ts), type: event.type, v: 1 });
}
