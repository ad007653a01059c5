/**
 * Projection of a raw record (a test or eval line, and later a log row's fields) into an
 * Input: derived fields as ttp.md §1.3 computes them, the id over untruncated values,
 * then the caps of §1.1. Runs once per input, outside the engine.
 */
import { createHash } from 'node:crypto';
import { MAX_FIELD_CHARS, MAX_LIST_ITEMS, type Input, type InputSource } from './input.js';
import { inputId } from './ids.js';
import { KINDS, type InputKind } from './kinds.js';
import { programsOf } from './programs.js';

export type Outcome = 'success' | 'failure' | 'unknown';

/** `success`/`succeeded`/`ok` → success; `failed`/`failure`/`fail`/`denied` → failure; else unknown (§1.3). */
export function normalizeOutcome(raw: unknown): Outcome {
  if (typeof raw !== 'string') return 'unknown';
  const s = raw.trim().toLowerCase();
  if (s === 'success' || s === 'succeeded' || s === 'ok') return 'success';
  if (s === 'failed' || s === 'failure' || s === 'fail' || s === 'denied') return 'failure';
  return 'unknown';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Epoch ms and canonical text (`YYYY-MM-DDTHH:MM:SS.ffffffZ`) of a timestamp: ISO text
 * (microseconds kept exactly) or epoch ms. Null when unreadable.
 */
export function readTimestamp(value: string | number): { ts: number; text: string } | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    const micros = Math.floor(value * 1000 + 1e-6);
    const secs = Math.floor(micros / 1e6);
    const frac = micros - secs * 1e6;
    return { ts: micros / 1000, text: `${new Date(secs * 1000).toISOString().slice(0, 19)}.${String(frac).padStart(6, '0')}Z` };
  }
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const zone = (m[4] as string).length === 5 ? `${(m[4] as string).slice(0, 3)}:${(m[4] as string).slice(3)}` : (m[4] as string);
  const whole = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(whole)) return null;
  const frac = ((m[3] ?? '') + '000000').slice(0, 6);
  const micros = Number(frac);
  return { ts: whole + micros / 1000, text: `${new Date(whole).toISOString().slice(0, 19)}.${frac}Z` };
}

function splitPath(raw: string): { path: string; query: string | null } {
  const q = raw.indexOf('?');
  return q === -1 ? { path: raw, query: null } : { path: raw.slice(0, q), query: raw.slice(q + 1) };
}

function hostOf(url: string): string | null {
  try {
    return new URL(url.includes('://') ? url : `http://${url}`).hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

/** Kind-specific derived fields (§1.2–§1.3), in place on a copy of the raw record. */
function deriveFields(kind: InputKind, f: Record<string, unknown>): void {
  switch (kind) {
    case 'command': {
      if (typeof f.command_text === 'string' && f.programs === undefined) f.programs = programsOf(f.command_text);
      if (f.outcome !== undefined && f.outcome !== null) f.outcome = normalizeOutcome(f.outcome);
      break;
    }
    case 'auth_attempt': {
      if (typeof f.password === 'string') f.password_sha256 = sha256Hex(f.password);
      f.password = undefined;
      f.outcome = normalizeOutcome(f.outcome);
      break;
    }
    case 'http_request': {
      const rawHeaders = (f.headers ?? {}) as Record<string, string | string[]>;
      const headers: Record<string, string> = {};
      for (const [name, val] of Object.entries(rawHeaders)) {
        const k = name.toLowerCase();
        const v = Array.isArray(val) ? val.join(', ') : val;
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
      f.headers = headers;
      if (typeof f.path === 'string' && f.query === undefined) {
        const { path, query } = splitPath(f.path);
        f.path = path;
        f.query = query;
      }
      if (typeof f.path === 'string' && f.url === undefined) f.url = typeof f.query === 'string' && f.query !== '' ? `${f.path}?${f.query}` : f.path;
      if (f.user_agent === undefined && headers['user-agent'] !== undefined) f.user_agent = headers['user-agent'];
      if (f.host === undefined && headers.host !== undefined) f.host = headers.host;
      if (f.header_values === undefined) {
        const values = Object.values(headers);
        f.header_values = values.length > 0 ? values.join('\n') : typeof f.user_agent === 'string' ? f.user_agent : null;
      }
      if (typeof f.body === 'string' && f.body.length > 512) f.body = f.body.slice(0, 512);
      break;
    }
    case 'email': {
      if (Array.isArray(f.urls) && f.url_hosts === undefined) f.url_hosts = [...new Set((f.urls as string[]).map(hostOf).filter((h): h is string => h !== null))];
      f.urls = undefined;
      if (Array.isArray(f.attachment_extensions)) f.attachment_extensions = (f.attachment_extensions as string[]).map((e) => e.replace(/^\./, '').toLowerCase());
      if (Array.isArray(f.url_hosts)) f.url_hosts = (f.url_hosts as string[]).map((h) => h.toLowerCase());
      break;
    }
    default:
      break;
  }
}

/** Caps what rules match (§1.1): strings to 4096 characters, lists to 64 elements. */
function cap(f: Record<string, unknown>, maxChars: number): void {
  for (const [k, v] of Object.entries(f)) {
    if (typeof v === 'string' && v.length > maxChars) f[k] = v.slice(0, maxChars);
    else if (Array.isArray(v) && v.length > MAX_LIST_ITEMS) f[k] = v.slice(0, MAX_LIST_ITEMS);
  }
}

export interface ProjectOptions {
  /** Applied when the record has no value for them. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  readonly source?: InputSource;
  readonly maxFieldChars?: number;
}

/**
 * A raw record (already checked against `rawInputSchema`, with `ts` given) → an Input.
 * Throws on an unreadable `ts` (callers report it as an invalid line or test input).
 */
export function projectInput(raw: Readonly<Record<string, unknown>> & { kind: InputKind }, opts: ProjectOptions = {}): Input {
  const kind = raw.kind;
  const f: Record<string, unknown> = { attacker_ip: null, ...opts.defaults, ...raw };
  if (f.service === undefined) f.service = KINDS[kind].defaultService;
  const when = readTimestamp((f.ts ?? 0) as string | number);
  if (when === null) throw new Error(`unreadable ts ${JSON.stringify(f.ts)} — write ISO-8601 (2026-01-01T00:00:00Z) or epoch ms`);
  f.ts = when.ts;
  f.ts_text = when.text;
  deriveFields(kind, f);
  const id = typeof raw.id === 'string' ? raw.id : inputId(kind, f);
  // A fresh object in one field order per kind, without `delete`: inputs stay fast-mode
  // objects with few shapes, which keeps the rules' property reads cheap.
  const out: Record<string, unknown> = { kind, id, ts: f.ts, ts_text: f.ts_text, attacker_ip: f.attacker_ip };
  for (const k of ORDER[kind]) if (f[k] !== undefined) out[k] = f[k];
  for (const [k, v] of Object.entries(f)) if (v !== undefined && !(k in out)) out[k] = v;
  cap(out, opts.maxFieldChars ?? MAX_FIELD_CHARS);
  if (opts.source) out.source = opts.source;
  return out as Input;
}

const ORDER: Readonly<Record<InputKind, readonly string[]>> = Object.fromEntries(
  Object.entries(KINDS).map(([kind, spec]) => [kind, ['attacker_uuid', 'identity_uuid', 'session_id', 'decky', 'service', ...Object.keys(spec.fields)]]),
) as unknown as Record<InputKind, readonly string[]>;
