/** Times as correlate stores them: ISO-8601 UTC with six fractional digits. */
import { isoFromDb } from '../db/index.js';

const STORED_FORM = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** isoFromDb, without rebuilding a text already in that form (SQLite's, read on every load). */
export function storedTime(value: string | Date): string {
  return typeof value === 'string' && STORED_FORM.test(value) ? value : isoFromDb(value);
}

/** Microseconds since the epoch (`Date.parse` keeps only the milliseconds). */
export function epochMicros(iso: string): number {
  return Date.parse(iso) * 1000 + Number(iso.slice(23, 26));
}
