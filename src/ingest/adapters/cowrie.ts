/**
 * Cowrie JSON (eventplane.md §8.4, CORRECTIONS #7.12): one object per line, mapped into the
 * rows and events of native lines. `decky` = `sensor` (or `--decky`), `service` = the
 * session's `protocol`, `attacker_ip` = `src_ip`, `timestamp` = `timestamp`.
 *
 * Cowrie writes `protocol` only on `cowrie.session.connect`, so the adapter remembers it
 * per `session` (falling back to `ssh`) for that session's later rows, and keeps `session`
 * in every row's fields. The memory is bounded: the oldest sessions are forgotten first.
 */
import { normalizeIp } from '../normalize.js';
import { dict, type Decoded, type LogRecord } from '../record.js';
import { adapterTimestamp, flat, flatFields, numericText, type JsonObject } from './json.js';

/** Sessions whose protocol is remembered. */
const SESSION_MEMORY = 10_000;

const COLUMN_KEYS = new Set(['eventid', 'timestamp', 'sensor', 'src_ip', 'message']);

export interface AdapterContext {
  readonly rawLine: string;
  readonly source: string;
  readonly receivedAt: string;
  /** `--decky`: overrides the adapter's decky. */
  readonly decky?: string | undefined;
}

/** Is this object a Cowrie event? */
export function isCowrieEvent(obj: JsonObject): boolean {
  return typeof obj.eventid === 'string' && obj.eventid.startsWith('cowrie.');
}

export class CowrieAdapter {
  private readonly protocols = new Map<string, string>();

  decode(obj: JsonObject, ctx: AdapterContext): Decoded {
    if (!isCowrieEvent(obj)) return { kind: 'unparsed', reason: 'not_cowrie', position: null };
    const eventid = obj.eventid as string;
    const session = flat(obj.session);
    const fields = dict();
    if (session !== undefined) fields.session = session;
    const flags: string[] = [];
    let service = (session !== undefined ? this.protocols.get(session) : undefined) ?? 'ssh';
    let eventType: string;
    let credential: LogRecord['credential'];

    const copy = (key: string, as = key): void => {
      const text = flat(obj[key]);
      if (text !== undefined) fields[as] = text;
    };

    switch (eventid) {
      case 'cowrie.session.connect': {
        eventType = 'connect';
        const protocol = flat(obj.protocol);
        if (protocol !== undefined && protocol !== '') service = protocol;
        if (session !== undefined) this.remember(session, service);
        copy('src_port');
        copy('dst_ip');
        copy('dst_port');
        copy('protocol');
        break;
      }
      case 'cowrie.client.version':
        eventType = 'client_version';
        copy('version');
        break;
      case 'cowrie.client.kex':
        eventType = 'client_kex';
        copy('hassh');
        copy('hasshAlgorithms', 'hassh_algorithms');
        break;
      case 'cowrie.login.failed':
      case 'cowrie.login.success': {
        eventType = 'login_attempt';
        const principal = flat(obj.username) ?? '';
        const password = flat(obj.password);
        fields.principal = principal;
        if (password !== undefined) {
          fields.password = password;
          fields.secret_kind = 'plaintext';
          credential = { principal, secret: password, kind: 'plaintext' };
        }
        fields.outcome = eventid === 'cowrie.login.success' ? 'success' : 'failure';
        break;
      }
      case 'cowrie.command.input':
      case 'cowrie.command.failed':
        eventType = 'command';
        fields.command = flat(obj.input) ?? '';
        if (eventid === 'cowrie.command.failed') fields.outcome = 'failed';
        break;
      case 'cowrie.session.file_download':
      case 'cowrie.session.file_upload':
        eventType = 'file_captured';
        copy('url');
        copy('shasum', 'sha256');
        copy('outfile');
        copy('filename');
        break;
      case 'cowrie.session.closed': {
        eventType = 'session_recorded';
        if (session !== undefined) fields.sid = session;
        const duration = numericText(obj.duration);
        if (duration !== undefined) fields.duration_s = duration;
        if (session !== undefined) this.protocols.delete(session);
        break;
      }
      default:
        eventType = eventid.slice('cowrie.'.length);
        flatFields(obj, fields, COLUMN_KEYS);
    }

    const rawIp = flat(obj.src_ip);
    const message = obj.message;
    const record: LogRecord = {
      timestamp: adapterTimestamp(obj.timestamp, ctx.receivedAt, flags),
      receivedAt: ctx.receivedAt,
      decky: ctx.decky ?? flat(obj.sensor) ?? null,
      service,
      eventType,
      attackerIp: rawIp === undefined ? null : normalizeIp(rawIp),
      severity: null,
      facility: null,
      procid: null,
      fields,
      sd: null,
      msg: Array.isArray(message) ? message.map((m) => flat(m) ?? '').join('\n') : (flat(message) ?? null),
      rawLine: ctx.rawLine,
      source: ctx.source,
      flags,
      format: 'cowrie',
    };
    if (credential) record.credential = credential;
    return { kind: 'row', record };
  }

  private remember(session: string, protocol: string): void {
    this.protocols.delete(session);
    this.protocols.set(session, protocol);
    if (this.protocols.size > SESSION_MEMORY) {
      const oldest = this.protocols.keys().next().value;
      if (oldest !== undefined) this.protocols.delete(oldest);
    }
  }
}
