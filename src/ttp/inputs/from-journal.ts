/**
 * Journal rows → inputs (ttp.md §1.4): the journaled topics are evaluated from `events`,
 * never from their live copy. `attacker.session.ended` gives a `session` and one `command`
 * per `commands[]` entry — each entry has its log row's `ts` and `command_text`
 * (CORRECTIONS #7.10), so it has that row's id (§1.5); `email.received` an `email`;
 * `credential.reuse.detected` one `credential_reuse` per address; `canary.<token>.triggered`
 * a `canary`; internal deckies' sessions nothing (§0.4, as their log rows). Other topics
 * yield nothing. Payloads are checked against the topic catalogue first: one that does not
 * match yields no input and one problem.
 */
import { topics } from '../../bus/index.js';
import { isInternalDecky } from '../../correlate/vocabulary.js';
import type { JournalRow } from '../../db/index.js';
import { address, checkPayload, epochSecondsText, known, nothing, pick, project, ProjectionError, text, timeText, type Projection, type Projected, type SourceOptions } from './projection.js';

type Payload = Readonly<Record<string, unknown>>;
type Reader = (p: Projection, payload: Payload, at: () => string) => void;

const SESSION_ENDED = topics.attacker(topics.ATTACKER_SESSION_ENDED);
const EMAIL_RECEIVED = topics.emailTopic(topics.EMAIL_RECEIVED);
const REUSE_DETECTED = topics.credential(topics.CREDENTIAL_REUSE_DETECTED);

function session(p: Projection, s: Payload): void {
  if (isInternalDecky(typeof s.decky_id === 'string' ? s.decky_id : null, p.internalDeckyPrefix)) return;
  const common = { attacker_ip: address(s.attacker_ip), attacker_uuid: s.attacker_uuid ?? null, session_id: s.session_id ?? null };
  p.add('session', () => {
    const endedAt = timeText(s.ended_at, 'ended_at');
    return { ...common, decky: known(s.decky_id), service: known(s.service), ts: endedAt, ended_at: endedAt, duration_s: s.duration_s, command_count: s.command_count, commands_truncated: s.commands_truncated };
  });
  for (const c of s.commands as readonly Payload[]) {
    p.add('command', () => ({
      ...common,
      decky: known(c.decky ?? s.decky_id),
      service: known(c.service ?? s.service),
      ts: timeText(c.ts),
      command_text: c.command_text,
      uid: text(c, 'uid'),
      user: text(c, 'user'),
      src: text(c, 'src'),
      pwd: text(c, 'pwd'),
    }));
  }
}

/** `logs.id` may reach us as text (PostgreSQL bigserial): one id whatever the dialect. */
function logId(value: unknown): unknown {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
}

function email(p: Projection, m: Payload, at: () => string): void {
  p.add('email', () => ({ ...pick('email', m), source_id: logId(m.source_id), urls: m.urls, attacker_uuid: m.attacker_uuid ?? null, attacker_ip: address(m.attacker_ip), decky: known(m.decky_id), service: known(m.service), ts: at() }));
}

/** One input per address of `attacker_ips`, each counting them all (§1.2). */
function reuse(p: Projection, r: Payload): void {
  const ips = r.attacker_ips as readonly string[];
  const fields = { ...pick('credential_reuse', r), finding_id: r.id, attacker_count: ips.length, decky: null, service: null };
  const seen = new Set<string>();
  for (const raw of ips) {
    const ip = address(raw);
    if (ip !== null && seen.has(ip)) continue;
    if (ip !== null) seen.add(ip);
    p.add('credential_reuse', () => {
      if (ip === null) throw new ProjectionError(`attacker_ips holds ${JSON.stringify(raw)}, not an address`);
      return { ...fields, attacker_ip: ip, ts: timeText(r.last_seen, 'last_seen') };
    });
  }
}

function canary(p: Projection, c: Payload, at: () => string): void {
  p.add('canary', () => ({ ...pick('canary', c), attacker_ip: address(c.src_ip), decky: known(c.decky_name), service: null, ts: at() }));
}

const READERS: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  [SESSION_ENDED, session],
  [EMAIL_RECEIVED, email],
  [REUSE_DETECTED, reuse],
]);

/** `canary.<token_id>.triggered` (`canary.>` carries placements and revocations too). */
function isCanaryTrigger(topic: string): boolean {
  const parts = topic.split('.');
  return parts.length === 3 && parts[0] === topics.CANARY && parts[2] === topics.CANARY_TRIGGERED;
}

function readerOf(topic: string): Reader | undefined {
  return READERS.get(topic) ?? (isCanaryTrigger(topic) ? canary : undefined);
}

/** The inputs of one journal row (`source.ref` = its `seq`); a malformed payload yields none and a problem. */
export function inputsFromJournalRow(row: JournalRow, opts: SourceOptions = {}): Projected {
  const topic = typeof row?.topic === 'string' ? row.topic : '';
  const read = readerOf(topic);
  if (read === undefined) return nothing();
  return project({ type: 'journal', ref: typeof row.seq === 'number' ? row.seq : null }, opts, (p) => {
    read(p, checkPayload(topic, row.payload), () => epochSecondsText(row.ts));
  });
}
