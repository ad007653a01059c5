/**
 * Times in and out of the database (CORRECTIONS #5.13). Every time a repository
 * writes comes from the injected clock (`clock.isoNow()`: ISO-8601 UTC with six
 * fractional digits), never from the database's own `now()`; every time a repository
 * returns is normalised to that same shape. PostgreSQL `timestamptz` reaches us as
 * its text form (a `Date` would drop the microseconds: see connection.ts), e.g.
 * `2026-01-01 00:00:00.1235+00`, with trailing zero digits dropped; SQLite stores the
 * ISO text as written.
 */
import type { Clock } from '../bus/index.js';

const TIME_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2}){0,2})?$/i;
/** Already the stored shape (what SQLite holds): returned as it is, without taking it apart. */
const CANONICAL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The current time as the repositories store it. */
export function nowIso(clock: Clock): string {
  return clock.isoNow();
}

/**
 * A stored time as ISO-8601 UTC with exactly six fractional digits. Accepts the ISO
 * text SQLite holds, PostgreSQL's text output (any offset) and, defensively, a Date.
 * Digits beyond the sixth are truncated; a missing offset means UTC.
 */
export function isoFromDb(value: string | Date): string {
  if (value instanceof Date) return `${value.toISOString().slice(0, -1)}000Z`;
  if (CANONICAL_RE.test(value)) return value;
  const m = TIME_RE.exec(value.trim());
  if (!m) throw new RangeError(`unrecognised database time ${JSON.stringify(value)}`);
  const [, date, time, fraction = '', offset = 'Z'] = m;
  const micros = fraction.slice(0, 6).padEnd(6, '0');
  const offsetMinutes = parseOffsetMinutes(offset);
  if (offsetMinutes === 0) return `${date}T${time}.${micros}Z`;
  const utcMs = Date.parse(`${date}T${time}Z`) - offsetMinutes * 60_000;
  return `${new Date(utcMs).toISOString().slice(0, 19)}.${micros}Z`;
}

/** Like isoFromDb, keeping null. */
export function isoFromDbOrNull(value: string | Date | null | undefined): string | null {
  return value === null || value === undefined ? null : isoFromDb(value);
}

function parseOffsetMinutes(offset: string): number {
  if (offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replaceAll(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  return sign * (hours * 60 + minutes);
}

