/**
 * Content-derived input ids (ttp.md §1.5): `<kind>:` + the first 32 hex digits of SHA-256
 * over the compact JSON array `[kind, …elements]` (no whitespace, non-ASCII unescaped,
 * `null` for absent). The same act seen as a log row, live and from the journal has one id,
 * so the engine never counts it twice. Ids use untruncated values.
 */
import { createHash } from 'node:crypto';
import type { InputKind } from './kinds.js';

type Fields = Readonly<Record<string, unknown>>;

/** Keys left out of the payload part of `intel`/`fingerprint`/`identity` ids ("without times"). */
const TIME_KEYS = new Set(['ts', 'ts_text', 'observed_at', 'expires_at', 'ended_at', 'first_seen', 'last_seen', 'enriched_at']);
const COMMON_KEYS = new Set(['kind', 'id', 'attacker_ip', 'attacker_uuid', 'identity_uuid', 'session_id', 'decky', 'service', 'source']);

function v(fields: Fields, key: string): unknown {
  const x = fields[key];
  return x === undefined ? null : x;
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

function payloadPart(fields: Fields): string {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(fields)) if (!TIME_KEYS.has(k) && !COMMON_KEYS.has(k) && x !== undefined) out[k] = x;
  return canonicalJson(out);
}

/** The id elements after the kind (§1.5 table). */
export function idElements(kind: InputKind, f: Fields): unknown[] {
  switch (kind) {
    case 'command':
      return [v(f, 'attacker_ip'), v(f, 'decky'), v(f, 'service'), v(f, 'ts_text'), v(f, 'command_text')];
    case 'http_request':
      return [v(f, 'attacker_ip'), v(f, 'decky'), v(f, 'service'), v(f, 'ts_text'), v(f, 'method'), v(f, 'url')];
    case 'auth_attempt':
      return [v(f, 'attacker_ip'), v(f, 'decky'), v(f, 'service'), v(f, 'ts_text'), v(f, 'username'), v(f, 'password_sha256'), v(f, 'outcome')];
    case 'session':
      return [v(f, 'session_id'), v(f, 'attacker_ip'), v(f, 'decky'), v(f, 'service'), v(f, 'ended_at')];
    case 'credential_reuse':
      return [v(f, 'finding_id'), v(f, 'attacker_ip')];
    case 'email':
      return [v(f, 'source_id')];
    case 'canary':
      return [v(f, 'trigger_id')];
    case 'intel':
    case 'fingerprint':
    case 'behavior':
      return [v(f, 'attacker_ip'), payloadPart(f)];
    case 'identity':
      return [v(f, 'identity_uuid'), payloadPart(f)];
  }
}

/** The id of an input of `kind` with these (untruncated) fields. */
export function inputId(kind: InputKind, fields: Fields): string {
  const name = JSON.stringify([kind, ...idElements(kind, fields)]);
  return `${kind}:${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 32)}`;
}
