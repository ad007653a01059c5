/**
 * What `decnet demo` replays (CORRECTIONS #7.8): the example files with every line's
 * timestamps shifted by one delta, so the latest line of all three ends now and the
 * story keeps its rhythm. RFC 5424 lines shift their TIMESTAMP field; Cowrie and
 * OpenCanary JSON lines their `timestamp`, `utc_time`, `local_time` and
 * `local_time_adjusted`, each written back in its own form. Lines with no time pass
 * unchanged.
 */
import { canonicalTimestamp } from '../ingest/index.js';

const JSON_TIME_KEYS = ['timestamp', 'utc_time', 'local_time', 'local_time_adjusted'] as const;
const SYSLOG_RE = /^(<\d{1,3}>1 )(\S+)( .*)?$/s;

/** Microseconds since the epoch of a time canonicalTimestamp accepts, or undefined. */
export function toMicros(text: string): number | undefined {
  const iso = canonicalTimestamp(text);
  if (iso === null) return undefined;
  return Date.parse(`${iso.slice(0, 23)}Z`) * 1000 + Number(iso.slice(23, 26));
}

/** ISO-8601 UTC with six digits; `spaced` writes OpenCanary's `YYYY-MM-DD HH:MM:SS.ffffff`. */
export function fromMicros(micros: number, spaced = false): string {
  const ms = Math.floor(micros / 1000);
  const iso = `${new Date(ms).toISOString().slice(0, 23)}${String(micros - ms * 1000).padStart(3, '0')}`;
  return spaced ? iso.replace('T', ' ') : `${iso}Z`;
}

/** The times a line carries (µs), in order. */
export function lineTimes(line: string): number[] {
  const m = SYSLOG_RE.exec(line);
  if (m) {
    const t = m[2] === undefined || m[2] === '-' ? undefined : toMicros(m[2]);
    return t === undefined ? [] : [t];
  }
  const obj = parseObject(line);
  if (!obj) return [];
  return JSON_TIME_KEYS.map((k) => (typeof obj[k] === 'string' ? toMicros(obj[k]) : undefined)).filter((t): t is number => t !== undefined);
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.trimStart().startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The line with its times moved by `deltaMicros`. */
export function shiftLine(line: string, deltaMicros: number): string {
  const m = SYSLOG_RE.exec(line);
  if (m) {
    const t = m[2] === undefined || m[2] === '-' ? undefined : toMicros(m[2]);
    return t === undefined ? line : `${m[1] ?? ''}${fromMicros(t + deltaMicros)}${m[3] ?? ''}`;
  }
  const obj = parseObject(line);
  if (!obj) return line;
  for (const key of JSON_TIME_KEYS) {
    const v = obj[key];
    if (typeof v !== 'string') continue;
    const t = toMicros(v);
    if (t !== undefined) obj[key] = fromMicros(t + deltaMicros, !v.includes('T'));
  }
  return JSON.stringify(obj);
}

/** The delta that moves the latest time of all `files` (lines each) to `nowMicros`. */
export function deltaToNow(files: ReadonlyArray<readonly string[]>, nowMicros: number): number {
  let latest = -Infinity;
  for (const lines of files) for (const line of lines) for (const t of lineTimes(line)) latest = Math.max(latest, t);
  return Number.isFinite(latest) ? nowMicros - latest : 0;
}
