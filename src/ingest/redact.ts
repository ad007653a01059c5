/**
 * Redaction (CORRECTIONS #7.5): unless `DECNET_STORE_PLAINTEXT_CREDENTIALS` is set, the
 * credential values of a row (`secret_printable`, `secret_b64`, Cowrie `password`,
 * OpenCanary `PASSWORD`) and the values of `authorization`, `proxy-authorization` and
 * `cookie` in stored HTTP headers never reach the database: not in `logs.fields`, not in
 * `raw_line`, not in Cowrie's `login attempt [user/password]` message. A header value holding `${` is an exploit string, not a credential, and is
 * kept (#9 matches it). `unparsed_lines.raw` is masked on a best-effort basis.
 */
import { escapeSdValue } from './rfc5424/index.js';
import type { LogRecord } from './record.js';

/** What a redacted value is replaced by. */
export const REDACTED = '[redacted]';

/** Field names whose values are secrets. */
export const SECRET_FIELDS: readonly string[] = ['secret_printable', 'secret_b64', 'password'];

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
const MAYBE_SECRET_HEADER_RE = /authorization|cookie|\\u/i;

// An SD parameter as the parser reads it: only an unescaped quote ends the value.
const sdParamRe = (name: string): RegExp => new RegExp(`(?<=[ \\[])(${name}=")((?:[^"\\\\]|\\\\.)*)(")`, 'g');
const SD_SECRET_RE = sdParamRe('(?:secret_printable|secret_b64|password)');
// A JSON string member named password (any case).
const JSON_PASSWORD_RE = /("password"\s*:\s*")((?:[^"\\]|\\.)*)(")/gi;
const JSON_REDACTED = JSON.stringify(REDACTED).slice(1, -1);
// A JSON string member named after a secret header (any case); `${…}` values are kept.
const JSON_HEADER_RE = /("(?:authorization|proxy-authorization|cookie)"\s*:\s*")((?:[^"\\]|\\.)*)(")/gi;

function maskJson(raw: string): string {
  return raw.replace(JSON_PASSWORD_RE, `$1${JSON_REDACTED}$3`).replace(JSON_HEADER_RE, (all: string, open: string, value: string, close: string) => (value.includes('${') ? all : `${open}${JSON_REDACTED}${close}`));
}

/** `headers` JSON with secret header values redacted; unchanged text when nothing is. */
function redactHeaders(text: string): string {
  // most requests carry no secret header: skip the parse (a `\u` escape could spell one, so parse then)
  if (!MAYBE_SECRET_HEADER_RE.test(text)) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (parsed === null || typeof parsed !== 'object') return text;
  let changed = false;
  const redactValue = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (value.includes('${') || value === REDACTED) return value;
      changed = true;
      return REDACTED;
    }
    return Array.isArray(value) ? value.map(redactValue) : value;
  };
  if (Array.isArray(parsed)) {
    // [[name, value], …] keeps the order and casing the request had
    const out = parsed.map((pair: unknown) => (Array.isArray(pair) && typeof pair[0] === 'string' && SECRET_HEADERS.has(pair[0].toLowerCase()) ? [pair[0], redactValue(pair[1])] : pair));
    return changed ? JSON.stringify(out) : text;
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? redactValue(value) : value;
  return changed ? JSON.stringify(out) : text;
}

/**
 * Redacts `record` in place: its secret fields, its headers, and the same values in its
 * raw line (SD parameters of a native line, JSON members of an adapter line).
 */
export function redactRecord(record: LogRecord): void {
  const fields = record.fields;
  let raw = record.rawLine;
  let touched = false;
  for (const name of SECRET_FIELDS) {
    if (fields[name] !== undefined && fields[name] !== REDACTED) {
      fields[name] = REDACTED;
      touched = true;
    }
  }
  const headers = fields.headers;
  let newHeaders: string | undefined;
  if (headers !== undefined) {
    const redacted = redactHeaders(headers);
    if (redacted !== headers) {
      fields.headers = redacted;
      newHeaders = redacted;
    }
  }
  // Cowrie repeats the pair in its message: `login attempt [root/123456] failed`
  const c = record.credential;
  if (c && record.format === 'cowrie' && c.secret !== '') {
    const pair = `[${c.principal}/${c.secret}]`;
    const masked = `[${c.principal}/${REDACTED}]`;
    if (record.msg?.includes(pair)) {
      record.msg = record.msg.replaceAll(pair, masked);
      raw = raw.replaceAll(JSON.stringify(pair).slice(1, -1), JSON.stringify(masked).slice(1, -1));
      touched = true;
    }
  }
  if (!touched && newHeaders === undefined) return;
  if (record.format === 'rfc5424') {
    if (touched) raw = raw.replace(SD_SECRET_RE, `$1${REDACTED}$3`);
    if (newHeaders !== undefined) {
      const escaped = escapeSdValue(newHeaders);
      raw = raw.replace(sdParamRe('headers'), () => `headers="${escaped}"`);
    }
  } else {
    raw = maskJson(raw);
  }
  record.rawLine = raw;
}

/** Best-effort masking of an unparsed line's recognisable secrets. */
export function maskUnparsed(raw: string): string {
  return maskJson(raw.replace(SD_SECRET_RE, `$1${REDACTED}$3`));
}
