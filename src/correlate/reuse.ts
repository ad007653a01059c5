/**
 * Credential reuse (analysis.md §3): one secret tried against several targets. The key
 * is `(secret_sha256, secret_kind, principal)` — hashes correlate within one kind only —
 * or, with `DECNET_REUSE_ACROSS_PRINCIPALS`, the pair alone (principal stored as `*`).
 * A key on at least `DECNET_REUSE_MIN_TARGETS` distinct (decky, service) pairs is one
 * `credential_reuse` row that accumulates targets and attackers.
 *
 * Growth always brings a new credential row (a new target, attacker or principal
 * changes ingest's upsert key; a repeat only bumps its count), so a batch of credential
 * rows names every key that may have grown. Per touched key, in the batch transaction:
 * count its distinct targets in `credentials` (§0.5 index); under the threshold store
 * nothing; else read its targets and attackers, insert missing child rows, upsert the
 * finding and journal
 * `credential.reuse.detected` with the reason — `new`, `new_targets`, `new_attackers` —
 * or nothing when neither grew: at most one event per finding per batch, with the final
 * state, never on an unchanged re-run.
 */
import { randomUUID } from 'node:crypto';
import type { Bus } from '../bus/index.js';
import { topics } from '../bus/index.js';
import type { AnalysisConfig } from '../config/index.js';
import { fromDbInt, isoFromDb, journalAndPublish, type Credential, type LogRow, type WriteTx } from '../db/index.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';
import { chunks, greatest, IN_LIST, inValues, least, ROWS_PER_STATEMENT } from './sql.js';
import { isInternalDecky, isInternalRow } from './vocabulary.js';

/** Entries per list in `credential.reuse.detected` (`truncated` when cut). */
export const REUSE_LIST_MAX = 100;

export type ReuseReason = 'new' | 'new_targets' | 'new_attackers';

/** `credential.reuse.detected` (analysis.md §3, §0.6). */
export type ReuseDetectedPayload = {
  id: string;
  secret_sha256: string;
  secret_kind: string;
  principal: string | null;
  target_count: number;
  attempt_count: number;
  attacker_uuids: string[];
  attacker_ips: string[];
  deckies: string[];
  services: string[];
  targets: Array<{ decky: string; service: string }>;
  first_seen: string;
  last_seen: string;
  reason: ReuseReason;
  truncated: boolean;
};

interface ReuseKey {
  readonly sha: string;
  readonly kind: string;
  /** `''` none, `*` across principals, else the principal. */
  readonly principalKey: string;
}

interface KeyState {
  readonly key: ReuseKey;
  readonly targets: Map<string, { decky: string; service: string; firstSeen: string; lastSeen: string }>;
  readonly attackers: Map<string, string | null>;
  attempts: number;
  firstSeen: string;
  lastSeen: string;
}

const keyText = (k: ReuseKey): string => `${k.sha}\u0000${k.kind}\u0000${k.principalKey}`;

export function principalKey(principal: string | null, acrossPrincipals: boolean): string {
  return acrossPrincipals ? '*' : (principal ?? '');
}

/** The stored `principal` of a finding: null for none, `*` across principals. */
function storedPrincipal(k: ReuseKey): string | null {
  return k.principalKey === '' ? null : k.principalKey;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorted and cut at REUSE_LIST_MAX. */
function capped<T>(items: T[], compare: (a: T, b: T) => number): { list: T[]; cut: boolean } {
  const sorted = [...items].sort(compare);
  return { list: sorted.slice(0, REUSE_LIST_MAX), cut: sorted.length > REUSE_LIST_MAX };
}

/** The text of the touched key a credential row counts for; undefined for an internal decky's row or another key. */
function touchedKey(r: { secret_sha256: string; secret_kind: string; principal: string | null; decky: string }, keys: ReadonlyMap<string, ReuseKey>, settings: AnalysisConfig): string | undefined {
  if (isInternalDecky(r.decky, settings.internalDeckyPrefix)) return undefined;
  const text = keyText({ sha: r.secret_sha256, kind: r.secret_kind, principalKey: principalKey(r.principal, settings.reuseAcrossPrincipals) });
  return keys.has(text) ? text : undefined;
}

/**
 * The touched keys on at least `reuseMinTargets` counted targets, from one read of
 * distinct targets per hash list: keys under the threshold (a secret tried on one
 * target so far) never have their rows read whole.
 */
async function qualifyingKeys(tx: WriteTx, keys: ReadonlyMap<string, ReuseKey>, settings: AnalysisConfig): Promise<Map<string, ReuseKey>> {
  const targets = new Map<string, Set<string>>();
  const hashes = [...new Set([...keys.values()].map((k) => k.sha))];
  for (const part of chunks(hashes, IN_LIST)) {
    const rows = await tx.db.selectFrom('credentials').select(['secret_sha256', 'secret_kind', 'principal', 'decky', 'service']).distinct().where('secret_sha256', 'in', inValues(tx.dialect, part)).execute();
    for (const r of rows) {
      const text = touchedKey(r, keys, settings);
      if (text === undefined) continue;
      let set = targets.get(text);
      if (!set) targets.set(text, (set = new Set()));
      set.add(`${r.decky}\u0000${r.service}`);
    }
  }
  return new Map([...keys].filter(([text]) => (targets.get(text)?.size ?? 0) >= settings.reuseMinTargets));
}

/** Every credential row of the touched keys (counted deckies only), grouped per key. */
async function keyStates(tx: WriteTx, keys: ReadonlyMap<string, ReuseKey>, settings: AnalysisConfig): Promise<Map<string, KeyState>> {
  const out = new Map<string, KeyState>();
  const hashes = [...new Set([...keys.values()].map((k) => k.sha))];
  for (const part of chunks(hashes, IN_LIST)) {
    const rows = await tx.db
      .selectFrom('credentials')
      .select(['secret_sha256', 'secret_kind', 'principal', 'attacker_ip', 'attacker_id', 'decky', 'service', 'count', 'first_seen', 'last_seen'])
      .where('secret_sha256', 'in', inValues(tx.dialect, part))
      .orderBy('seq')
      .execute();
    for (const r of rows) {
      const text = touchedKey(r, keys, settings);
      if (text === undefined) continue;
      const key = keys.get(text) as ReuseKey;
      const first = isoFromDb(r.first_seen);
      const last = isoFromDb(r.last_seen);
      let s = out.get(text);
      if (!s) out.set(text, (s = { key, targets: new Map(), attackers: new Map(), attempts: 0, firstSeen: first, lastSeen: last }));
      const target = `${r.decky}\u0000${r.service}`;
      const t = s.targets.get(target);
      if (!t) s.targets.set(target, { decky: r.decky, service: r.service, firstSeen: first, lastSeen: last });
      else {
        if (first < t.firstSeen) t.firstSeen = first;
        if (last > t.lastSeen) t.lastSeen = last;
      }
      if (!s.attackers.has(r.attacker_ip) || s.attackers.get(r.attacker_ip) === null) s.attackers.set(r.attacker_ip, r.attacker_id);
      s.attempts += fromDbInt(r.count);
      if (first < s.firstSeen) s.firstSeen = first;
      if (last > s.lastSeen) s.lastSeen = last;
    }
  }
  return out;
}

interface StoredFinding {
  readonly id: string;
  readonly targets: number;
  readonly attackers: number;
}

async function storedFindings(tx: WriteTx, states: readonly KeyState[]): Promise<Map<string, StoredFinding>> {
  const out = new Map<string, StoredFinding>();
  const wanted = new Set(states.map((s) => keyText(s.key)));
  for (const part of chunks([...new Set(states.map((s) => s.key.sha))], IN_LIST)) {
    const rows = await tx.db.selectFrom('credential_reuse').select(['id', 'secret_sha256', 'secret_kind', 'principal_key']).where('secret_sha256', 'in', inValues(tx.dialect, part)).execute();
    const found = rows.filter((r) => wanted.has(keyText({ sha: r.secret_sha256, kind: r.secret_kind, principalKey: r.principal_key })));
    const ids = found.map((r) => r.id);
    const targetCounts = new Map<string, number>();
    const attackerCounts = new Map<string, number>();
    for (const idPart of chunks(ids, IN_LIST)) {
      for (const r of await tx.db.selectFrom('credential_reuse_targets').select((eb) => ['reuse_id', eb.fn.countAll<number>().as('n')]).where('reuse_id', 'in', idPart).groupBy('reuse_id').execute()) targetCounts.set(r.reuse_id, fromDbInt(r.n));
      for (const r of await tx.db.selectFrom('credential_reuse_attackers').select((eb) => ['reuse_id', eb.fn.countAll<number>().as('n')]).where('reuse_id', 'in', idPart).groupBy('reuse_id').execute()) attackerCounts.set(r.reuse_id, fromDbInt(r.n));
    }
    for (const r of found) out.set(keyText({ sha: r.secret_sha256, kind: r.secret_kind, principalKey: r.principal_key }), { id: r.id, targets: targetCounts.get(r.id) ?? 0, attackers: attackerCounts.get(r.id) ?? 0 });
  }
  return out;
}

const INSERT_FINDING = `insert into credential_reuse (id, secret_sha256, secret_kind, principal, principal_key, confidence, detected_at, target_count, attacker_count, first_seen, last_seen, updated_at)
  values (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`;
const UPDATE_FINDING = 'update credential_reuse set target_count = ?, attacker_count = ?, first_seen = ?, last_seen = ?, updated_at = ? where id = ?';
const UPSERT_TARGET = `insert into credential_reuse_targets (reuse_id, decky, service, first_seen, last_seen) values (?, ?, ?, ?, ?)
  on conflict (reuse_id, decky, service) do update set
    first_seen = min(credential_reuse_targets.first_seen, excluded.first_seen),
    last_seen = max(credential_reuse_targets.last_seen, excluded.last_seen)`;
const UPSERT_ATTACKER = `insert into credential_reuse_attackers (reuse_id, attacker_ip, attacker_id) values (?, ?, ?)
  on conflict (reuse_id, attacker_ip) do update set attacker_id = coalesce(excluded.attacker_id, credential_reuse_attackers.attacker_id)`;

/**
 * SQLite: writeFinding with four prepared statements, one row each. Through kysely every
 * finding's multi-row statements had a text of their own, compiled and prepared anew
 * (most of a batch where findings grow). Returns false on PostgreSQL.
 */
function writeFindingPrepared(tx: WriteTx, id: string, s: KeyState, isNew: boolean, now: string): boolean {
  const [insert, update, target, attacker] = [INSERT_FINDING, UPDATE_FINDING, UPSERT_TARGET, UPSERT_ATTACKER].map((text) => sqlitePreparedIn(tx, text));
  if (!insert || !update || !target || !attacker) return false;
  if (isNew) insert.run(id, s.key.sha, s.key.kind, storedPrincipal(s.key), s.key.principalKey, now, s.targets.size, s.attackers.size, s.firstSeen, s.lastSeen, now);
  else update.run(s.targets.size, s.attackers.size, s.firstSeen, s.lastSeen, now, id);
  for (const t of s.targets.values()) target.run(id, t.decky, t.service, t.firstSeen, t.lastSeen);
  for (const [ip, attackerId] of s.attackers) attacker.run(id, ip, attackerId);
  return true;
}

async function writeFinding(tx: WriteTx, id: string, s: KeyState, isNew: boolean, now: string): Promise<void> {
  if (writeFindingPrepared(tx, id, s, isNew, now)) return;
  const row = { target_count: s.targets.size, attacker_count: s.attackers.size, first_seen: s.firstSeen, last_seen: s.lastSeen, updated_at: now };
  if (isNew) {
    await tx.db
      .insertInto('credential_reuse')
      .values({ id, secret_sha256: s.key.sha, secret_kind: s.key.kind, principal: storedPrincipal(s.key), principal_key: s.key.principalKey, confidence: 1, detected_at: now, ...row })
      .execute();
  } else {
    await tx.db.updateTable('credential_reuse').set(row).where('id', '=', id).execute();
  }
  for (const part of chunks([...s.targets.values()], ROWS_PER_STATEMENT)) {
    await tx.db
      .insertInto('credential_reuse_targets')
      .values(part.map((t) => ({ reuse_id: id, decky: t.decky, service: t.service, first_seen: t.firstSeen, last_seen: t.lastSeen })))
      .onConflict((oc) =>
        oc.columns(['reuse_id', 'decky', 'service']).doUpdateSet((eb) => ({
          first_seen: least(tx.dialect, eb.ref('credential_reuse_targets.first_seen'), eb.ref('excluded.first_seen')),
          last_seen: greatest(tx.dialect, eb.ref('credential_reuse_targets.last_seen'), eb.ref('excluded.last_seen')),
        })),
      )
      .execute();
  }
  for (const part of chunks([...s.attackers.entries()], ROWS_PER_STATEMENT)) {
    await tx.db
      .insertInto('credential_reuse_attackers')
      .values(part.map(([ip, attackerId]) => ({ reuse_id: id, attacker_ip: ip, attacker_id: attackerId })))
      .onConflict((oc) => oc.columns(['reuse_id', 'attacker_ip']).doUpdateSet((eb) => ({ attacker_id: eb.fn.coalesce(eb.ref('excluded.attacker_id'), eb.ref('credential_reuse_attackers.attacker_id')) })))
      .execute();
  }
}

function payloadOf(id: string, s: KeyState, reason: ReuseReason): ReuseDetectedPayload {
  const targets = capped([...s.targets.values()].map((t) => ({ decky: t.decky, service: t.service })), (a, b) => byText(a.decky, b.decky) || byText(a.service, b.service));
  const ips = capped([...s.attackers.keys()], byText);
  const uuids = capped([...new Set([...s.attackers.values()].filter((v): v is string => v !== null))], byText);
  const deckies = capped([...new Set([...s.targets.values()].map((t) => t.decky))], byText);
  const services = capped([...new Set([...s.targets.values()].map((t) => t.service))], byText);
  return {
    id,
    secret_sha256: s.key.sha,
    secret_kind: s.key.kind,
    principal: storedPrincipal(s.key),
    target_count: s.targets.size,
    attempt_count: s.attempts,
    attacker_uuids: uuids.list,
    attacker_ips: ips.list,
    deckies: deckies.list,
    services: services.list,
    targets: targets.list,
    first_seen: s.firstSeen,
    last_seen: s.lastSeen,
    reason,
    truncated: targets.cut || ips.cut || uuids.cut || deckies.cut || services.cut,
  };
}

interface Span {
  first: string;
  last: string;
}

function widen(span: Span, ts: string): void {
  if (ts < span.first) span.first = ts;
  if (ts > span.last) span.last = ts;
}

interface TouchedKey {
  readonly key: ReuseKey;
  readonly span: Span;
  readonly targets: Map<string, { readonly decky: string; readonly service: string; readonly span: Span }>;
}

/**
 * A repeat of a known credential only bumps ingest's count and widens its first/last
 * seen: no new credential row names its key. Its log row carries `secret_sha256`
 * (CORRECTIONS #7.5), so the log fold widens the times of existing findings and their
 * targets here, silently (nothing grew): they stay those of the credentials, as a
 * rebuild reads them.
 */
export async function touchFindings(tx: WriteTx, rows: readonly LogRow[], settings: AnalysisConfig): Promise<void> {
  const keys = new Map<string, TouchedKey>();
  for (const r of rows) {
    const hash = r.fields.secret_sha256;
    const kind = r.fields.secret_kind;
    if (hash === undefined || kind === undefined || r.decky === null || isInternalRow(r, settings.internalDeckyPrefix)) continue;
    const key = { sha: hash, kind, principalKey: principalKey(r.fields.principal ?? null, settings.reuseAcrossPrincipals) };
    const ts = r.timestamp;
    const text = keyText(key);
    let k = keys.get(text);
    if (!k) keys.set(text, (k = { key, span: { first: ts, last: ts }, targets: new Map() }));
    else widen(k.span, ts);
    const service = r.service ?? '';
    const targetText = `${r.decky}\u0000${service}`;
    const target = k.targets.get(targetText);
    if (!target) k.targets.set(targetText, { decky: r.decky, service, span: { first: ts, last: ts } });
    else widen(target.span, ts);
  }
  if (keys.size === 0) return;
  for (const part of chunks([...new Set([...keys.values()].map((v) => v.key.sha))], IN_LIST)) {
    const found = await tx.db.selectFrom('credential_reuse').select(['id', 'secret_sha256', 'secret_kind', 'principal_key', 'first_seen', 'last_seen']).where('secret_sha256', 'in', inValues(tx.dialect, part)).execute();
    for (const f of found) {
      const hit = keys.get(keyText({ sha: f.secret_sha256, kind: f.secret_kind, principalKey: f.principal_key }));
      if (!hit) continue;
      const { first, last } = hit.span;
      if (first < isoFromDb(f.first_seen) || last > isoFromDb(f.last_seen)) {
        await tx.db
          .updateTable('credential_reuse')
          .set((eb) => ({ first_seen: least(tx.dialect, eb.ref('first_seen'), eb.val(first)), last_seen: greatest(tx.dialect, eb.ref('last_seen'), eb.val(last)) }))
          .where('id', '=', f.id)
          .execute();
      }
      for (const t of hit.targets.values()) {
        await tx.db
          .updateTable('credential_reuse_targets')
          .set((eb) => ({ first_seen: least(tx.dialect, eb.ref('first_seen'), eb.val(t.span.first)), last_seen: greatest(tx.dialect, eb.ref('last_seen'), eb.val(t.span.last)) }))
          .where('reuse_id', '=', f.id)
          .where('decky', '=', t.decky)
          .where('service', '=', t.service)
          .execute();
      }
    }
  }
}

export interface ReuseBatchEffects {
  /** Findings inserted or grown (one journaled event each). */
  readonly findings: number;
  /** Credential rows of the batch whose attacker is unknown. */
  readonly orphans: number;
}

/**
 * Folds credential rows `rows` (one batch, seq order) in `tx`: back-fills their
 * `attacker_id`, then updates the findings of the keys they touch and journals the
 * events (published after the commit; `bus` null journals without a live copy). Under
 * `replay` (a rebuild) the findings are rewritten and nothing is journaled.
 */
export async function foldCredentials(tx: WriteTx, bus: Bus | null, rows: readonly Credential[], settings: AnalysisConfig, replay = false): Promise<ReuseBatchEffects> {
  if (rows.length === 0) return { findings: 0, orphans: 0 };
  const from = (rows[0] as Credential).seq;
  const to = (rows.at(-1) as Credential).seq;
  await tx.db
    .updateTable('credentials')
    .set((eb) => ({ attacker_id: eb.selectFrom('attackers').select('attackers.id').whereRef('attackers.ip', '=', 'credentials.attacker_ip') }))
    .where('seq', '>=', from)
    .where('seq', '<=', to)
    .where('attacker_id', 'is', null)
    .execute();
  const orphanRow = await tx.db.selectFrom('credentials').select((eb) => eb.fn.countAll<number>().as('n')).where('seq', '>=', from).where('seq', '<=', to).where('attacker_id', 'is', null).executeTakeFirst();
  const orphans = orphanRow ? fromDbInt(orphanRow.n) : 0;

  const keys = new Map<string, ReuseKey>();
  for (const r of rows) {
    if (isInternalDecky(r.decky, settings.internalDeckyPrefix)) continue;
    const key = { sha: r.secretSha256, kind: r.secretKind, principalKey: principalKey(r.principal, settings.reuseAcrossPrincipals) };
    keys.set(keyText(key), key);
  }
  const states = [...(await keyStates(tx, await qualifyingKeys(tx, keys, settings), settings)).values()];
  if (states.length === 0) return { findings: 0, orphans };
  const stored = await storedFindings(tx, states);
  const now = tx.clock.isoNow();
  let findings = 0;
  for (const s of states) {
    const before = stored.get(keyText(s.key));
    const reason: ReuseReason | undefined = !before ? 'new' : s.targets.size > before.targets ? 'new_targets' : s.attackers.size > before.attackers ? 'new_attackers' : undefined;
    const id = before?.id ?? randomUUID();
    await writeFinding(tx, id, s, before === undefined, now);
    if (reason === undefined || replay) continue;
    await journalAndPublish(tx, bus, topics.credential('reuse.detected'), payloadOf(id, s, reason));
    findings++;
  }
  return { findings, orphans };
}

/**
 * A rebuild's reset (rebuild.ts): the findings lose their targets and attackers and
 * count none, but keep their ids and `detected_at`; the replay rewrites each one whose
 * key still qualifies.
 */
export async function resetFindings(tx: WriteTx): Promise<void> {
  await tx.db.deleteFrom('credential_reuse_targets').execute();
  await tx.db.deleteFrom('credential_reuse_attackers').execute();
  await tx.db.updateTable('credential_reuse').set({ target_count: 0, attacker_count: 0 }).execute();
}

/** After the replay: the findings it did not rewrite (no target: their key no longer qualifies) go. */
export async function dropUnderivedFindings(tx: WriteTx): Promise<void> {
  await tx.db.deleteFrom('credential_reuse').where('target_count', '=', 0).execute();
}
