/**
 * The value transforms of ttp.md §2.3: `urldecode` (percent-decoding, two rounds at most,
 * `+` and invalid escapes kept, bytes read as UTF-8 with replacement — so an overlong
 * `%c0%ae` becomes U+FFFD, not `.`, which is why R0009 also matches it raw) and
 * `b64decode` (the decoded text of each base64 run of 24 or more characters, at most four
 * runs and 16 KiB). No regular expressions: these run per input.
 */

const MAX_ROUNDS = 2;
const B64_MIN_RUN = 24;
const B64_MAX_RUNS = 4;
const B64_MAX_BYTES = 16 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodeRound(s: string): string {
  if (s.indexOf('%') === -1) return s;
  const bytes: number[] = [];
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        const b = (hi << 4) | lo;
        if (b >= 0x80) ascii = false;
        bytes.push(b);
        i += 2;
        continue;
      }
    }
    if (c < 0x80) bytes.push(c);
    else {
      ascii = false;
      // a non-ASCII character (or surrogate pair) keeps its UTF-8 bytes
      const cp = s.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      for (const b of utf8Encoder.encode(ch)) bytes.push(b);
      i += ch.length - 1;
    }
  }
  if (ascii) return String.fromCharCode(...bytes);
  return utf8.decode(Uint8Array.from(bytes));
}

/** Percent-decodes up to two rounds (`%252e` → `.`). */
export function urlDecode(s: string): string {
  let out = s;
  for (let r = 0; r < MAX_ROUNDS; r++) {
    const next = decodeRound(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

function isB64(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

const NO_RUNS: readonly string[] = Object.freeze([]);

/** The decoded texts of the base64 runs in `s` (not `s` itself); empty when there are none. */
export function base64Runs(s: string): readonly string[] {
  if (s.length < B64_MIN_RUN) return NO_RUNS;
  let out: string[] | null = null;
  let budget = B64_MAX_BYTES;
  let i = 0;
  while (i < s.length) {
    if (!isB64(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && isB64(s.charCodeAt(i))) i++;
    let end = i;
    while (end < s.length && end - i < 2 && s.charCodeAt(end) === 0x3d /* = */) end++;
    if (i - start >= B64_MIN_RUN) {
      const run = s.slice(start, Math.min(end, start + Math.ceil((budget * 4) / 3)));
      const text = Buffer.from(run, 'base64').toString('utf8');
      budget -= Math.floor((run.length * 3) / 4);
      (out ??= []).push(text);
      if (out.length >= B64_MAX_RUNS || budget <= 0) break;
    }
    i = end;
  }
  return out ?? NO_RUNS;
}
