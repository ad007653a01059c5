/**
 * `logs` rows → inputs (ttp.md §1.3, CORRECTIONS #9.5): `command` from the command event
 * types, `http_request` from `request` rows, `auth_attempt` from rows carrying a
 * credential. A row yields up to two inputs (a request with credentials is both). Rows of
 * `internal:*` sources and internal deckies are the system's own work and yield none.
 * Commands read here carry no `session_id` (§1.6): the session event links them.
 */
import { jsonObject } from '../../correlate/inputs.js';
import { isCommandEvent, isInternalRow } from '../../correlate/vocabulary.js';
import type { LogRow } from '../../db/index.js';
import { commandText } from '../../ingest/command-text.js';
import { REDACTED } from '../../ingest/redact.js';
import { address, project, text, timeText, type Projected, type RawFields, type SourceOptions } from './projection.js';

type Fields = Readonly<Record<string, unknown>>;

/** Header values as `projectInput` takes them: text, or lists of text (joined there). */
function headersOf(value: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, v] of Object.entries(jsonObject(value))) {
    if (typeof v === 'string') out[name] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[name] = String(v);
    else if (Array.isArray(v)) out[name] = v.filter((x): x is string => typeof x === 'string');
  }
  return out;
}

function hasHeader(headers: Fields, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

function commandOf(row: LogRow, f: Fields): RawFields {
  // `?? ''` as ingest writes the session entries, so the ids agree
  return { command_text: commandText(row) ?? '', uid: text(f, 'uid'), user: text(f, 'user'), src: text(f, 'src'), pwd: text(f, 'pwd'), outcome: text(f, 'outcome') };
}

/** Header first, else the row's own field (§1.3); `projectInput` reads the header. */
function httpOf(f: Fields): RawFields {
  const headers = headersOf(f.headers);
  return {
    method: text(f, 'method') ?? null,
    path: text(f, 'path', 'url', 'uri'),
    headers,
    user_agent: hasHeader(headers, 'user-agent') ? undefined : text(f, 'user_agent', 'useragent'),
    host: hasHeader(headers, 'host') ? undefined : text(f, 'hostname'),
    body: text(f, 'body'),
  };
}

function carriesCredential(eventType: string | null, f: Fields): boolean {
  return eventType === 'login_attempt' || (typeof f.principal === 'string' && typeof f.secret_sha256 === 'string');
}

/** The hash `credential.captured` carries, else that of a stored plaintext (hashed by `projectInput`); never the secret. */
function authOf(f: Fields): RawFields {
  const sha = text(f, 'secret_sha256');
  const plaintext = sha === undefined ? [text(f, 'password'), text(f, 'secret_printable')].find((p) => p !== undefined && p !== REDACTED) : undefined;
  return { username: text(f, 'principal', 'username') ?? null, password_sha256: sha ?? null, password: plaintext, secret_kind: text(f, 'secret_kind') ?? null, outcome: text(f, 'outcome') };
}

/** The inputs of one `logs` row; a malformed row yields none and a problem. */
export function inputsFromLogRow(row: LogRow, opts: SourceOptions = {}): Projected {
  const ref = typeof row?.id === 'number' ? row.id : null;
  return project({ type: 'log', ref }, opts, (p) => {
    if (isInternalRow(row, p.internalDeckyPrefix)) return;
    const common = { ts: timeText(row.timestamp), attacker_ip: address(row.attackerIp), decky: row.decky ?? null, service: row.service ?? null };
    const f = jsonObject(row.fields);
    if (isCommandEvent(row.eventType)) p.add('command', () => ({ ...common, ...commandOf(row, f) }));
    if (row.eventType === 'request') p.add('http_request', () => ({ ...common, ...httpOf(f) }));
    if (carriesCredential(row.eventType, f)) p.add('auth_attempt', () => ({ ...common, ...authOf(f) }));
  });
}
