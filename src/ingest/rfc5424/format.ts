/**
 * The RFC 5424 formatter: the inverse of `parseRfc5424` for every message the parser
 * returns (round-trip property tests), and the way ingest rewrites a line whose
 * credential values it redacted. Values are escaped as our emitters write them
 * (eventplane.md §6): `\` → `\\`, `"` → `\"`, `]` → `\]`.
 */
import type { SdElement, SyslogMessage } from './types.js';

const NEEDS_ESCAPE = /[\\"\]]/;
const ESCAPES = /[\\"\]]/g;

/** A PARAM-VALUE escaped for the wire. */
export function escapeSdValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPES, '\\$&') : value;
}

/** STRUCTURED-DATA text: `-` for none. */
export function formatStructuredData(sd: readonly SdElement[]): string {
  if (sd.length === 0) return '-';
  let out = '';
  for (const element of sd) {
    out += `[${element.id}`;
    for (const p of element.params) out += ` ${p.name}="${escapeSdValue(p.value)}"`;
    out += ']';
  }
  return out;
}

/** One line, without its LF. */
export function formatRfc5424(m: SyslogMessage): string {
  const head = `<${m.pri}>${m.version} ${m.timestamp ?? '-'} ${m.hostname ?? '-'} ${m.appName ?? '-'} ${m.procId ?? '-'} ${m.msgId ?? '-'} ${formatStructuredData(m.sd)}`;
  return m.msg === null ? head : `${head} ${m.bom ? '\ufeff' : ''}${m.msg}`;
}
