/** Durations as rules write them (`30s`, `5m`, `1h`, `7d`) → ms (ttp.md §2.5). */

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const SECOND = 1000;
export const DAY = 86_400_000;

/** Milliseconds, or null when not `N` followed by s, m, h or d. */
export function parseDuration(text: unknown): number | null {
  if (typeof text !== 'string' || text.length < 2) return null;
  const unit = UNIT_MS[text[text.length - 1] as string];
  const digits = text.slice(0, -1);
  if (unit === undefined || !/^\d+$/.test(digits)) return null;
  return Number(digits) * unit;
}

/** A hint for a duration written another way (`5 min` → `5m`, `300` → `300s`). */
export function durationHint(text: unknown): string {
  if (typeof text === 'number') return `write \`${text}s\``;
  if (typeof text === 'string') {
    const m = /^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)\s*$/i.exec(text);
    if (m) return `write \`${m[1]}${(m[2] as string)[0]?.toLowerCase()}\``;
  }
  return 'write N followed by s, m, h or d (`30s`, `5m`, `1h`)';
}
