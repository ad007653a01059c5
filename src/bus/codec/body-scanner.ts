/**
 * One structural pass over a PUB body (CORRECTIONS #3.11): validates that the bytes are
 * exactly one JSON object (RFC 8259, strict) and records where the top-level `type` and
 * `payload` values lie, so the broker can mint the delivered envelope around those bytes
 * instead of `JSON.parse` + `JSON.stringify` for every event.
 *
 * Agreement with `JSON.parse(body.toString('utf8'))` + shape check, with three deliberate
 * choices, all pinned by tests:
 * - Invalid UTF-8 is refused (`bad_body`). `Buffer#toString` would silently turn it into
 *   U+FFFD and let it through; we validate every byte ≥ 0x80 inside strings (outside
 *   strings such a byte is a syntax error anyway): no overlong forms, no encoded
 *   surrogates (ED A0–BF), nothing above U+10FFFF.
 * - Escaped lone surrogates (`"\ud800"`) are accepted, as `JSON.parse` accepts them; the
 *   bytes are passed through unchanged, so every receiver parses the same string.
 * - Nesting deeper than `MAX_JSON_DEPTH` (512) is refused (`bad_body`), so a megabyte of
 *   `[[[[` costs one bounded pass and no recursion. JSON.parse would accept it.
 *
 * An empty body (0 bytes) means `{}`. A leading BOM is refused, as JSON.parse refuses it.
 * Duplicate keys: the last occurrence wins, as with JSON.parse; only the last `type` and
 * the last `payload` are shape-checked.
 */

export interface ByteRange {
  /** Offset of the value's first byte. */
  readonly start: number;
  /** Offset one past the value's last byte. */
  readonly end: number;
}

export type PubBodyScan =
  | { readonly ok: true; readonly type?: ByteRange; readonly payload?: ByteRange }
  | { readonly ok: false; readonly code: 'bad_body' | 'bad_payload'; readonly message: string };

/** Deepest nesting of objects and arrays accepted in a body (the body object is depth 1). */
export const MAX_JSON_DEPTH = 512;

const QUOTE = 0x22;
const BSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const D0 = 0x30;
const D9 = 0x39;

// parser states
const VALUE = 0; // a value is expected
const AFTER = 1; // a value just ended
const OBJ_FIRST = 2; // after `{`: a key or `}`
const OBJ_KEY = 3; // after `,` in an object: a key
const ARR_FIRST = 4; // after `[`: a value or `]`

// container kinds on the stack
const OBJ = 1;
const ARR = 2;

// top-level keys of interest
const KEY_OTHER = 0;
const KEY_TYPE = 1;
const KEY_PAYLOAD = 2;

/** 1 for a byte that stands for itself inside a string: 0x20–0x7F except the quote and the backslash. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === QUOTE || c === BSLASH ? 0 : 1;

/** Reused stack of container kinds: scanning is synchronous, so one suffices. */
const STACK = new Uint8Array(MAX_JSON_DEPTH);

// Set by the helpers on failure; read right after a helper returns -1.
let failAt = 0;
let failWhy = '';
// Set by scanString: whether the string held a backslash escape.
let sawEscape = false;

function fail(at: number, why: string): number {
  failAt = at;
  failWhy = why;
  return -1;
}

const OK_EMPTY: PubBodyScan = { ok: true };

/** Scans a PUB body; never throws. See the module comment for what is accepted. */
export function scanPubBody(input: Uint8Array): PubBodyScan {
  const n = input.length;
  if (n === 0) return OK_EMPTY;
  // a plain Uint8Array view: V8 indexes it faster than a Buffer (a subclass), per byte
  const body = new Uint8Array(input.buffer, input.byteOffset, n);
  let i = skipWs(body, 0, n);
  if (i >= n || body[i] !== LBRACE) return badBody(i >= n ? 'is only whitespace' : `does not start with '{' (byte ${i})`);

  let depth = 0;
  let state = VALUE;
  let key = KEY_OTHER; // the current top-level member's key
  let valueStart = 0; // where the current top-level member's value starts
  let typeStart = -1;
  let typeEnd = -1;
  let payloadStart = -1;
  let payloadEnd = -1;

  for (;;) {
    if (state === VALUE) {
      i = skipWs(body, i, n);
      if (i >= n) return badBody(`ends where a value is expected (byte ${i})`);
      const c = body[i]!;
      if (depth === 1) valueStart = i;
      if (c === LBRACE || c === LBRACKET) {
        if (depth >= MAX_JSON_DEPTH) return badBody(`nests deeper than ${MAX_JSON_DEPTH} levels (byte ${i})`);
        STACK[depth++] = c === LBRACE ? OBJ : ARR;
        i++;
        state = c === LBRACE ? OBJ_FIRST : ARR_FIRST;
        continue;
      }
      if (c === QUOTE) i = scanString(body, i + 1, n);
      else if (c === MINUS || (c >= D0 && c <= D9)) i = scanNumber(body, i, n);
      else if (c === 0x74) i = scanWord(body, i, n, 'true');
      else if (c === 0x66) i = scanWord(body, i, n, 'false');
      else if (c === 0x6e) i = scanWord(body, i, n, 'null');
      else i = fail(i, 'is not the start of a JSON value');
      if (i < 0) return badBody(`${failWhy} (byte ${failAt})`);
      state = AFTER;
    } else if (state === AFTER) {
      if (depth === 1) {
        if (key === KEY_TYPE) {
          typeStart = valueStart;
          typeEnd = i;
        } else if (key === KEY_PAYLOAD) {
          payloadStart = valueStart;
          payloadEnd = i;
        }
      }
      i = skipWs(body, i, n);
      if (i >= n) return badBody(`ends inside ${STACK[depth - 1] === OBJ ? 'an object' : 'an array'}`);
      const c = body[i]!;
      const top = STACK[depth - 1];
      if (c === COMMA) {
        i++;
        state = top === OBJ ? OBJ_KEY : VALUE;
      } else if ((c === RBRACE && top === OBJ) || (c === RBRACKET && top === ARR)) {
        i++;
        if (--depth === 0) break;
      } else {
        return badBody(`expected ',' or '${top === OBJ ? '}' : ']'}' (byte ${i})`);
      }
    } else if (state === OBJ_FIRST || state === ARR_FIRST) {
      i = skipWs(body, i, n);
      const close = state === OBJ_FIRST ? RBRACE : RBRACKET;
      if (i < n && body[i] === close) {
        i++;
        if (--depth === 0) break;
        state = AFTER;
      } else {
        state = state === OBJ_FIRST ? OBJ_KEY : VALUE;
      }
    } else {
      // OBJ_KEY
      i = skipWs(body, i, n);
      if (i >= n || body[i] !== QUOTE) return badBody(`expected a string key (byte ${i})`);
      const keyStart = i;
      i = scanString(body, i + 1, n);
      if (i < 0) return badBody(`${failWhy} (byte ${failAt})`);
      if (depth === 1) key = classifyKey(body, keyStart, i);
      i = skipWs(body, i, n);
      if (i >= n || body[i] !== COLON) return badBody(`expected ':' after a key (byte ${i})`);
      i++;
      state = VALUE;
    }
  }

  i = skipWs(body, i, n);
  if (i < n) return badBody(`has bytes after the object (byte ${i})`);
  if (typeStart >= 0 && body[typeStart] !== QUOTE) {
    return { ok: false, code: 'bad_payload', message: `"type" must be a string, got ${describe(body[typeStart]!)}` };
  }
  if (payloadStart >= 0 && body[payloadStart] !== LBRACE) {
    return { ok: false, code: 'bad_payload', message: `"payload" must be an object, got ${describe(body[payloadStart]!)}` };
  }
  const type = typeStart >= 0 ? { start: typeStart, end: typeEnd } : undefined;
  const payload = payloadStart >= 0 ? { start: payloadStart, end: payloadEnd } : undefined;
  if (type === undefined) return payload === undefined ? OK_EMPTY : { ok: true, payload };
  return payload === undefined ? { ok: true, type } : { ok: true, type, payload };
}

/**
 * The `type` string of a scanned body: '' when absent. Decodes the JSON string literal,
 * with a fast path for the usual case of no escapes.
 */
export function scannedType(scan: PubBodyScan, body: Buffer): string {
  if (!scan.ok || scan.type === undefined) return '';
  const { start, end } = scan.type;
  for (let i = start + 1; i < end - 1; i++) {
    if (body[i] === BSLASH) return JSON.parse(body.toString('utf8', start, end)) as string;
  }
  return body.toString('utf8', start + 1, end - 1);
}

function badBody(why: string): PubBodyScan {
  return { ok: false, code: 'bad_body', message: `body is not a JSON object: it ${why}` };
}

function describe(c: number): string {
  if (c === LBRACE) return 'an object';
  if (c === LBRACKET) return 'an array';
  if (c === QUOTE) return 'a string';
  if (c === 0x74 || c === 0x66) return 'a boolean';
  if (c === 0x6e) return 'null';
  return 'a number';
}

function skipWs(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function isHex(c: number): boolean {
  return (c >= D0 && c <= D9) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** From the byte after the opening quote; returns the offset after the closing quote, or -1. */
function scanString(b: Uint8Array, i: number, n: number): number {
  sawEscape = false;
  while (i < n) {
    const c = b[i]!;
    if (PLAIN[c] === 1) {
      i++;
      continue;
    }
    if (c === QUOTE) return i + 1;
    if (c === BSLASH) {
      sawEscape = true;
      const e = b[i + 1];
      if (e === 0x75) {
        // \uXXXX; a lone surrogate is accepted, as JSON.parse accepts it
        if (i + 6 > n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return fail(i, 'has a bad \\u escape');
        i += 6;
      } else if (e === QUOTE || e === BSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else {
        return fail(i, 'has a bad escape');
      }
      continue;
    }
    if (c < 0x20) return fail(i, 'has an unescaped control character in a string');
    const len = utf8Sequence(b, i, n);
    if (len === 0) return fail(i, 'is not valid UTF-8');
    i += len;
  }
  return fail(n, 'ends inside a string');
}

/** Length of the well-formed UTF-8 sequence at `i` (lead byte ≥ 0x80), or 0 (Unicode Table 3-7). */
function utf8Sequence(b: Uint8Array, i: number, n: number): number {
  const c = b[i]!;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c === 0xe0) lo = 0xa0; // no overlong
    else if (c === 0xed) hi = 0x9f; // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c === 0xf0) lo = 0x90; // no overlong
    else if (c === 0xf4) hi = 0x8f; // ≤ U+10FFFF
  } else return 0;
  if (i + len > n) return 0;
  const c1 = b[i + 1]!;
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < len; k++) {
    const ck = b[i + k]!;
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return len;
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; returns the offset after it, or -1. */
function scanNumber(b: Uint8Array, i: number, n: number): number {
  const start = i;
  if (b[i] === MINUS) i++;
  const c = b[i];
  if (c === D0) i++;
  else if (c !== undefined && c > D0 && c <= D9) i = digits(b, i + 1, n);
  else return fail(start, 'has a bad number');
  if (b[i] === DOT) {
    const j = digits(b, i + 1, n);
    if (j === i + 1) return fail(start, 'has a bad number');
    i = j;
  }
  const e = b[i];
  if (e === 0x65 || e === 0x45) {
    i++;
    if (b[i] === PLUS || b[i] === MINUS) i++;
    const j = digits(b, i, n);
    if (j === i) return fail(start, 'has a bad number');
    i = j;
  }
  return i;
}

function digits(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (c < D0 || c > D9) break;
    i++;
  }
  return i;
}

function scanWord(b: Uint8Array, i: number, n: number, word: string): number {
  if (i + word.length > n) return fail(i, `has a bad literal (expected ${word})`);
  for (let k = 0; k < word.length; k++) {
    if (b[i + k] !== word.charCodeAt(k)) return fail(i, `has a bad literal (expected ${word})`);
  }
  return i + word.length;
}

/** Which top-level key the string literal `b[start, end)` (quotes included) is. */
function classifyKey(b: Uint8Array, start: number, end: number): number {
  const len = end - start - 2;
  if (!sawEscape) {
    if (len === 4 && b[start + 1] === 0x74 && b[start + 2] === 0x79 && b[start + 3] === 0x70 && b[start + 4] === 0x65) return KEY_TYPE;
    if (len === 7 && equalsAscii(b, start + 1, 'payload')) return KEY_PAYLOAD;
    return KEY_OTHER;
  }
  // an escaped key may still spell "type" (`"t\u0079pe"`): decode it, rare path
  const k = JSON.parse(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8')) as string;
  return k === 'type' ? KEY_TYPE : k === 'payload' ? KEY_PAYLOAD : KEY_OTHER;
}

function equalsAscii(b: Uint8Array, at: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
  return true;
}
