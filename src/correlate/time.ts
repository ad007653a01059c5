/** Times as correlate stores them: ISO-8601 UTC with six fractional digits. */

/** Microseconds since the epoch (`Date.parse` keeps only the milliseconds). */
export function epochMicros(iso: string): number {
  return Date.parse(iso) * 1000 + Number(iso.slice(23, 26));
}
