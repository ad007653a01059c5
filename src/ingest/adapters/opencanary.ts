/**
 * OpenCanary JSON (eventplane.md §8.4): `decky` = `node_id` (or `--decky`), `attacker_ip` =
 * `src_host`, `timestamp` = `utc_time` (UTC, `YYYY-MM-DD HH:MM:SS.ffffff`); fields
 * `src_port`, `dst_host`, `dst_port` and the `logdata` keys lower-cased; `USERNAME` +
 * `PASSWORD` make a `plaintext` credential. The `logtype` code gives service and event
 * type; OpenCanary's own messages (1000–1006) are skipped and counted.
 */
import { normalizeIp } from '../normalize.js';
import { dict, type Decoded, type LogRecord } from '../record.js';
import type { AdapterContext } from './cowrie.js';
import { adapterTimestamp, flat, flatFields, type JsonObject } from './json.js';

/** logtype → [service, event_type]. */
export const OPENCANARY_LOGTYPES: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  [2000, ['ftp', 'login_attempt']],
  [3000, ['http', 'request']],
  [3001, ['http', 'login_attempt']],
  [4000, ['ssh', 'connect']],
  [4001, ['ssh', 'client_version']],
  [4002, ['ssh', 'login_attempt']],
  [5000, ['smb', 'file_open']],
  [5001, ['portscan', 'syn']],
  [5002, ['portscan', 'nmap_os']],
  [5003, ['portscan', 'nmap_null']],
  [5004, ['portscan', 'nmap_xmas']],
  [5005, ['portscan', 'nmap_fin']],
  [6001, ['telnet', 'login_attempt']],
  [7001, ['httpproxy', 'login_attempt']],
  [8001, ['mysql', 'login_attempt']],
  [9001, ['mssql', 'login_attempt']],
  [9002, ['mssql', 'login_attempt']],
  [10001, ['tftp', 'request']],
  [11001, ['ntp', 'monlist']],
  [12001, ['vnc', 'login_attempt']],
  [13001, ['snmp', 'request']],
  [14001, ['rdp', 'login_attempt']],
  [15001, ['sip', 'request']],
  [16001, ['git', 'clone_request']],
  [17001, ['redis', 'command']],
  [18001, ['tcpbanner', 'connect']],
  [18002, ['tcpbanner', 'keepalive_connect']],
  [18003, ['tcpbanner', 'keepalive_secret']],
  [18004, ['tcpbanner', 'keepalive_data']],
  [18005, ['tcpbanner', 'data']],
  ...Array.from({ length: 10 }, (_, i) => [99000 + i, ['user', `user_${i}`]] as [number, readonly [string, string]]),
]);

/** HTTP method by logtype (OpenCanary logs GETs and login POSTs). */
const HTTP_METHODS: ReadonlyMap<number, string> = new Map([
  [3000, 'GET'],
  [3001, 'POST'],
]);

const NO_KEYS = new Set<string>();

/** Is this object an OpenCanary event? */
export function isOpenCanaryEvent(obj: JsonObject): boolean {
  return 'logtype' in obj;
}

function logtypeOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) ? n : null;
}

export function decodeOpenCanary(obj: JsonObject, ctx: AdapterContext): Decoded {
  const logtype = logtypeOf(obj.logtype);
  if (logtype === null) return { kind: 'unparsed', reason: 'not_opencanary', position: null };
  if (logtype >= 1000 && logtype <= 1006) return { kind: 'skip', why: 'opencanary_internal' };
  const [service, eventType] = OPENCANARY_LOGTYPES.get(logtype) ?? ['opencanary', `logtype_${logtype}`];
  const fields = dict();
  for (const key of ['src_port', 'dst_host', 'dst_port'] as const) {
    const text = flat(obj[key]);
    if (text !== undefined) fields[key] = text;
  }
  const logdata = obj.logdata;
  if (logdata !== null && typeof logdata === 'object' && !Array.isArray(logdata)) flatFields(logdata as JsonObject, fields, NO_KEYS, true);
  else if (logdata !== undefined) {
    const text = flat(logdata);
    if (text !== undefined) fields.logdata = text;
  }
  fields.logtype = String(logtype);

  let credential: LogRecord['credential'];
  if (fields.username !== undefined && fields.password !== undefined) {
    fields.principal = fields.username;
    fields.secret_kind = 'plaintext';
    credential = { principal: fields.username, secret: fields.password, kind: 'plaintext' };
  }
  const method = HTTP_METHODS.get(logtype);
  if (method !== undefined && fields.method === undefined) fields.method = method;
  if (fields.useragent !== undefined && fields.user_agent === undefined) fields.user_agent = fields.useragent;
  if (eventType === 'client_version' && fields.remoteversion !== undefined && fields.version === undefined) fields.version = fields.remoteversion;

  const flags: string[] = [];
  const rawIp = flat(obj.src_host);
  const record: LogRecord = {
    timestamp: adapterTimestamp(obj.utc_time, ctx.receivedAt, flags),
    receivedAt: ctx.receivedAt,
    decky: ctx.decky ?? flat(obj.node_id) ?? null,
    service,
    eventType,
    attackerIp: rawIp === undefined || rawIp === '' ? null : normalizeIp(rawIp),
    severity: null,
    facility: null,
    procid: null,
    fields,
    sd: null,
    msg: null,
    rawLine: ctx.rawLine,
    source: ctx.source,
    flags,
    format: 'opencanary',
  };
  if (credential) record.credential = credential;
  return { kind: 'row', record };
}
