/**
 * The normalisers every input shares (CORRECTIONS #7.12, #7.13): one timestamp form, one
 * address form, and text that both dialects can store. #9 (ttp) imports the same
 * functions, so a command's content id is the same from its log row and from
 * `attacker.session.ended`.
 */
import { isIPv4, isIPv6 } from 'node:net';

// `YYYY-MM-DD` `T` or space `HH:MM:SS`, an optional fraction, an optional offset
// (`Z`, `±HH:MM`, `±HHMM`, `±HH`; none means UTC, as OpenCanary's `utc_time` writes it).
const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return 29;
  return DAYS[month - 1] ?? 0;
}

function iso(ms: number, micros: string): string | null {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(ms) || year < 0 || year > 9999) return null;
  return `${d.toISOString().slice(0, 19)}.${micros}Z`;
}

/**
 * A time as ISO-8601 UTC with exactly six fractional digits (`2026-05-01T12:00:00.123456Z`),
 * or null when it is not one. Accepts the ISO forms adapters meet (`Z`, `±HH:MM`, `±HHMM`,
 * `±HH`, no offset = UTC, a space for `T`, any number of fraction digits: floored to the
 * microsecond), epoch milliseconds (with a fraction) and a Date. Ranges are checked; a
 * leap second (`:60`) is refused.
 */
export function canonicalTimestamp(value: string | number | Date): string | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    const whole = Math.floor(value);
    const millis = ((whole % 1000) + 1000) % 1000;
    const micros = Math.min(999, Math.floor((value - whole) * 1000 + 1e-6));
    return iso(whole, `${String(millis).padStart(3, '0')}${String(micros).padStart(3, '0')}`);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? null : iso(ms, `${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}000`);
  }
  const m = TIME_RE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = '', zulu, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const micros = fraction.slice(0, 6).padEnd(6, '0');
  let offsetMinutes = 0;
  if (zulu === undefined && sign !== undefined) {
    const oHours = Number(oh);
    const oMinutes = om === undefined ? 0 : Number(om);
    if (oHours > 23 || oMinutes > 59) return null;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oHours * 60 + oMinutes);
  }
  if (offsetMinutes === 0 && fraction.length === 6 && value.length === 27 && value[10] === 'T' && value[26] === 'Z') return value; // already canonical
  // OpenCanary's `utc_time` (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC): canonical but for the separator and the Z
  if (zulu === undefined && sign === undefined && fraction.length === 6 && value.length === 26 && value[19] === '.') return `${value.slice(0, 10)}T${value.slice(11)}Z`;
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, 0);
  return iso(base.getTime() - offsetMinutes * 60_000, micros);
}

/** Eight 16-bit groups of an IPv6 address Node accepted (an embedded IPv4 tail as two groups). */
function ipv6Groups(address: string): number[] | null {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  if (v4.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(halves[0]);
  const right = parse(halves[1]);
  const fill = 8 - left.length - right.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  return [...left, ...new Array<number>(fill).fill(0), ...right];
}

/**
 * An address in the one form ingest stores (CORRECTIONS #7.13): IPv4 dotted quad; IPv6
 * lower-case RFC 5952 (no leading zeros, the longest run of two or more zero groups, the
 * first on a tie, shortened to `::`); an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as
 * its IPv4. Brackets are removed; a zone (`%eth0`) is kept. Null when not an address.
 */
export function normalizeIp(value: string): string | null {
  let text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (isIPv4(text)) return text;
  if (!isIPv6(text)) return null;
  let zone = '';
  const pct = text.indexOf('%');
  if (pct !== -1) {
    zone = text.slice(pct);
    text = text.slice(0, pct);
  }
  const groups = ipv6Groups(text.toLowerCase());
  if (!groups || groups.length !== 8) return null;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const a = groups[6] ?? 0;
    const b = groups[7] ?? 0;
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':') + zone;
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}${zone}`;
}

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * Text both dialects can store (CORRECTIONS #7.13): NUL becomes U+FFFD (PostgreSQL refuses
 * NUL in text and jsonb) and a lone surrogate (only JSON escapes make one) becomes U+FFFD.
 */
export function cleanText(text: string): string {
  const out = text.includes('\0') ? text.replaceAll('\0', '\ufffd') : text;
  return (out as unknown as WellFormed).isWellFormed() ? out : (out as unknown as WellFormed).toWellFormed();
}
