/**
 * The DECNET meaning of a parsed RFC 5424 line (eventplane.md §8.2): `decky`, `service`,
 * `event_type` = HOSTNAME, APP-NAME, MSGID; `fields` = the `relay@55555` parameters, other
 * elements kept in `sd`; one level of double wrap; `CMD …` messages; the attacker address
 * by parameter preference, then from the message; the timestamp in UTC with its fraction.
 */
import { canonicalTimestamp, normalizeIp } from './normalize.js';
import { dict, type LogRecord } from './record.js';
import { parseRfc5424, type SyslogMessage } from './rfc5424/index.js';

/** Our structured-data element (private enterprise number 55555). */
export const RELAY_SD_ID = 'relay@55555';

/** Attacker-address parameters, by preference. */
export const IP_PARAMS = ['src_ip', 'src', 'client_ip', 'remote_ip', 'remote_addr', 'target_ip', 'ip'] as const;

const MSG_PARAM_RE = /(?:^|[\s,;(])(src_ip|src|client_ip|remote_ip|remote_addr|target_ip|ip)=["']?([^\s"',;)]+)/g;
const MSG_HINT_RE = /(?:\bfrom\s+|\brhost=|\bclient=|\bsrc=)\[?([0-9A-Fa-f:.]+)/g;
const BARE_V4_RE = /(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/g;

/** `host:port`, `[v6]:port`, `[v6]` → the address and the port (if any). */
export function splitHostPort(value: string): { host: string; port: string | null } {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close !== -1) {
      const rest = value.slice(close + 1);
      return { host: value.slice(1, close), port: rest.startsWith(':') && /^\d{1,5}$/.test(rest.slice(1)) ? rest.slice(1) : null };
    }
  }
  const colon = value.indexOf(':');
  if (colon !== -1 && colon === value.lastIndexOf(':') && /^\d{1,5}$/.test(value.slice(colon + 1))) return { host: value.slice(0, colon), port: value.slice(colon + 1) };
  return { host: value, port: null };
}

/** The address of the first IP parameter present (setting `remote_port` from a `host:port`). */
function addressFromFields(fields: Record<string, string>): string | null {
  for (const name of IP_PARAMS) {
    const raw = fields[name];
    if (raw === undefined || raw === '' || raw === '-') continue;
    const { host, port } = splitHostPort(raw.trim());
    const ip = normalizeIp(host);
    if (ip === null) continue;
    if (port !== null && fields.remote_port === undefined) fields.remote_port = port;
    return ip;
  }
  return null;
}

/** The address named in a free-text message: parameters, then `from`/`rhost=`/…, then a bare IPv4. */
export function addressFromMessage(msg: string): string | null {
  let best: { rank: number; ip: string } | null = null;
  for (const m of msg.matchAll(MSG_PARAM_RE)) {
    const rank = IP_PARAMS.indexOf(m[1] as (typeof IP_PARAMS)[number]);
    const ip = normalizeIp(splitHostPort(m[2] ?? '').host);
    if (ip !== null && (best === null || rank < best.rank)) best = { rank, ip };
  }
  if (best) return best.ip;
  for (const m of msg.matchAll(MSG_HINT_RE)) {
    const raw = (m[1] ?? '').replace(/[.:]+$/, '');
    const ip = normalizeIp(raw) ?? normalizeIp(splitHostPort(raw).host);
    if (ip !== null) return ip;
  }
  for (const m of msg.matchAll(BARE_V4_RE)) {
    const ip = normalizeIp(m[1] ?? '');
    if (ip !== null) return ip;
  }
  return null;
}

const CMD_KEYS = new Set(['uid', 'user', 'src', 'pwd']);

/** `CMD uid=0 user=root src=… pwd=/root cmd=uname -a` → fields (the rest after `cmd=` is the command). */
function commandFields(text: string, fields: Record<string, string>): void {
  let rest = text;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith('cmd=')) {
      rest = rest.slice(4);
      break;
    }
    const m = /^([a-z]+)=(\S*)/.exec(rest);
    if (!m || !CMD_KEYS.has(m[1] ?? '')) break;
    if (fields[m[1] as string] === undefined) fields[m[1] as string] = m[2] ?? '';
    rest = rest.slice(m[0].length);
  }
  if (fields.command === undefined) fields.command = rest;
}

/** One level of double wrap: MSGID and SD are NIL and MSG is itself `TIMESTAMP HOST APP PROCID MSGID rest`. */
function unwrap(m: SyslogMessage): SyslogMessage | null {
  if (m.msgId !== null || m.sd.length > 0 || m.msg === null) return null;
  const inner = parseRfc5424(`<${m.pri}>1 ${m.msg}`, Number.POSITIVE_INFINITY);
  if (!inner.ok || inner.message.timestamp === null || inner.message.msgId === null) return null;
  return { ...inner.message, bom: m.bom || inner.message.bom };
}

export interface NativeContext {
  readonly rawLine: string;
  readonly source: string;
  readonly receivedAt: string;
  readonly invalidUtf8: boolean;
}

/** The record of a parsed native line. */
export function nativeRecord(parsed: SyslogMessage, ctx: NativeContext): LogRecord {
  const flags: string[] = [];
  let m = parsed;
  const inner = unwrap(m);
  if (inner) {
    m = inner;
    flags.push('double_wrap');
  }
  const fields = dict();
  let sd: Record<string, Record<string, string>> | null = null;
  for (const element of m.sd) {
    const target = element.id === RELAY_SD_ID ? fields : ((sd ??= dict<Record<string, string>>())[element.id] = dict());
    for (const p of element.params) target[p.name] = p.value;
  }
  let eventType = m.msgId;
  if (m.msg !== null && m.msg.startsWith('CMD ') && (eventType === null || eventType === 'command')) {
    eventType = 'command';
    commandFields(m.msg.slice(4), fields);
  }
  let attackerIp = addressFromFields(fields);
  if (attackerIp === null && m.msg !== null) attackerIp = addressFromMessage(m.msg);
  let timestamp = m.timestamp === null ? null : canonicalTimestamp(m.timestamp);
  if (timestamp === null) {
    timestamp = ctx.receivedAt;
    flags.push('nil_timestamp');
  }
  if (m.bom) flags.push('bom');
  if (ctx.invalidUtf8) flags.push('invalid_utf8');
  return {
    timestamp,
    receivedAt: ctx.receivedAt,
    decky: m.hostname,
    service: m.appName,
    eventType,
    attackerIp,
    severity: m.pri & 7,
    facility: m.pri >> 3,
    procid: m.procId,
    fields,
    sd,
    msg: m.msg,
    rawLine: ctx.rawLine,
    source: ctx.source,
    flags,
    format: 'rfc5424',
  };
}
