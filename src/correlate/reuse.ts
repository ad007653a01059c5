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
import { sql } from 'kysely';
import type { Bus } from '../bus/index.js';
import { topics } from '../bus/index.js';
import type { AnalysisConfig } from '../config/index.js';
import { fromDbInt, isoFromDb, journalAndPublish, type Credential, type LogFacts, type WriteTx } from '../db/index.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';
import { chunks, fromDbJson, greatest, IN_LIST, inValues, jsonText, least, ROWS_PER_STATEMENT, selectAll } from './sql.js';
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

interface Target {
  readonly decky: string;
  readonly service: string;
  firstSeen: string;
  lastSeen: string;
}

/** Targets (`decky\0service`) and attackers (IP → id) of one key over some of its credential rows, with their span. */
interface KeyRows {
  readonly key: ReuseKey;
  readonly targets: Map<string, Target>;
  readonly attackers: Map<string, string | null>;
  firstSeen: string;
  lastSeen: string;
}

/** What a credential row brings to its key. */
interface CredentialFacts {
  readonly decky: string;
  readonly service: string;
  readonly attackerIp: string;
  readonly attackerId: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

const REUSE_DETECTED = topics.credential(topics.CREDENTIAL_REUSE_DETECTED);

const keyText = (k: ReuseKey): string => `${k.sha}\u0000${k.kind}\u0000${k.principalKey}`;
const targetText = (decky: string, service: string): string => `${decky}\u0000${service}`;

export function principalKey(principal: string | null, acrossPrincipals: boolean): string {
  return acrossPrincipals ? '*' : (principal ?? '');
}

/** The stored `principal` of a finding: null for none, `*` across principals. */
function storedPrincipal(k: ReuseKey): string | null {
  return k.principalKey === '' ? null : k.principalKey;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The lists a finding's event states, as the finding keeps them (`credential_reuse.lists`). */
export type ReuseLists = Pick<ReuseDetectedPayload, 'targets' | 'attacker_ips' | 'attacker_uuids' | 'deckies' | 'services' | 'truncated'>;

const NO_LISTS: ReuseLists = { targets: [], attacker_ips: [], attacker_uuids: [], deckies: [], services: [], truncated: false };

/** What a batch adds to a finding's lists. */
interface ListAdditions {
  readonly targets: ReadonlyArray<{ readonly decky: string; readonly service: string }>;
  readonly ips: readonly string[];
  readonly uuids: readonly string[];
}

/** `list` with `added` merged in: distinct by `idOf`, sorted, cut at REUSE_LIST_MAX. */
function mergeCapped<T>(list: readonly T[], added: readonly T[], idOf: (t: T) => string, compare: (a: T, b: T) => number): { list: T[]; cut: boolean } {
  const all = new Map(list.map((t) => [idOf(t), t]));
  for (const t of added) if (!all.has(idOf(t))) all.set(idOf(t), t);
  const sorted = [...all.values()].sort(compare);
  return { list: sorted.slice(0, REUSE_LIST_MAX), cut: sorted.length > REUSE_LIST_MAX };
}

/**
 * `lists` grown by `added`. Lists only grow, so the first REUSE_LIST_MAX of the whole
 * list are always among the kept ones and the additions: merging into the cut list is
 * exact, and a list once cut stays cut.
 */
function mergeLists(lists: ReuseLists, added: ListAdditions): ReuseLists {
  const same = (x: string): string => x;
  const targets = mergeCapped(lists.targets, added.targets.map((t) => ({ decky: t.decky, service: t.service })), (t) => targetText(t.decky, t.service), (a, b) => byText(a.decky, b.decky) || byText(a.service, b.service));
  const ips = mergeCapped(lists.attacker_ips, added.ips, same, byText);
  const uuids = mergeCapped(lists.attacker_uuids, added.uuids, same, byText);
  const deckies = mergeCapped(lists.deckies, added.targets.map((t) => t.decky), same, byText);
  const services = mergeCapped(lists.services, added.targets.map((t) => t.service), same, byText);
  return {
    targets: targets.list,
    attacker_ips: ips.list,
    attacker_uuids: uuids.list,
    deckies: deckies.list,
    services: services.list,
    truncated: lists.truncated || targets.cut || ips.cut || uuids.cut || deckies.cut || services.cut,
  };
}

/** All of `rows` as additions. */
function additionsOf(rows: Pick<KeyRows, 'targets' | 'attackers'>): ListAdditions {
  return { targets: [...rows.targets.values()], ips: [...rows.attackers.keys()], uuids: [...rows.attackers.values()].filter((v): v is string => v !== null) };
}

/** The text of the touched key a credential row counts for; undefined for an internal decky's row or another key. */
function touchedKey(r: { secret_sha256: string; secret_kind: string; principal: string | null; decky: string }, keys: ReadonlyMap<string, ReuseKey>, settings: AnalysisConfig): string | undefined {
  if (isInternalDecky(r.decky, settings.internalDeckyPrefix)) return undefined;
  const text = keyText({ sha: r.secret_sha256, kind: r.secret_kind, principalKey: principalKey(r.principal, settings.reuseAcrossPrincipals) });
  return keys.has(text) ? text : undefined;
}

/** Adds credential row `r` to the rows of key `text` in `into`. */
function addFacts(into: Map<string, KeyRows>, text: string, key: ReuseKey, r: CredentialFacts): void {
  let rows = into.get(text);
  if (!rows) into.set(text, (rows = { key, targets: new Map(), attackers: new Map(), firstSeen: r.firstSeen, lastSeen: r.lastSeen }));
  const target = targetText(r.decky, r.service);
  const t = rows.targets.get(target);
  if (!t) rows.targets.set(target, { decky: r.decky, service: r.service, firstSeen: r.firstSeen, lastSeen: r.lastSeen });
  else {
    if (r.firstSeen < t.firstSeen) t.firstSeen = r.firstSeen;
    if (r.lastSeen > t.lastSeen) t.lastSeen = r.lastSeen;
  }
  if ((rows.attackers.get(r.attackerIp) ?? null) === null) rows.attackers.set(r.attackerIp, r.attackerId);
  if (r.firstSeen < rows.firstSeen) rows.firstSeen = r.firstSeen;
  if (r.lastSeen > rows.lastSeen) rows.lastSeen = r.lastSeen;
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
    const rows = await selectAll(tx, tx.db.selectFrom('credentials').select(['secret_sha256', 'secret_kind', 'principal', 'decky', 'service']).distinct().where('secret_sha256', 'in', inValues(tx.dialect, part)));
    for (const r of rows) {
      const text = touchedKey(r, keys, settings);
      if (text === undefined) continue;
      let set = targets.get(text);
      if (!set) targets.set(text, (set = new Set()));
      set.add(targetText(r.decky, r.service));
    }
  }
  return new Map([...keys].filter(([text]) => (targets.get(text)?.size ?? 0) >= settings.reuseMinTargets));
}

/**
 * Every counted credential row of `keys`, grouped per key: what a finding is created
 * (or, after a rebuild's reset, rewritten) from. Rows after the batch are not yet
 * back-filled: their attacker's id comes from `attackers`.
 */
async function allRowsOf(tx: WriteTx, keys: ReadonlyMap<string, ReuseKey>, settings: AnalysisConfig): Promise<Map<string, KeyRows>> {
  const out = new Map<string, KeyRows>();
  const hashes = [...new Set([...keys.values()].map((k) => k.sha))];
  for (const part of chunks(hashes, IN_LIST)) {
    const rows = await selectAll(
      tx,
      tx.db
        .selectFrom('credentials')
        .select(['secret_sha256', 'secret_kind', 'principal', 'attacker_ip', 'decky', 'service', 'first_seen', 'last_seen'])
        .select((eb) => eb.fn.coalesce('credentials.attacker_id', eb.selectFrom('attackers').select('attackers.id').whereRef('attackers.ip', '=', 'credentials.attacker_ip')).as('attacker_id'))
        .where('secret_sha256', 'in', inValues(tx.dialect, part))
        .orderBy('seq'),
    );
    for (const r of rows) {
      const text = touchedKey(r, keys, settings);
      if (text === undefined) continue;
      addFacts(out, text, keys.get(text) as ReuseKey, { decky: r.decky, service: r.service, attackerIp: r.attacker_ip, attackerId: r.attacker_id, firstSeen: isoFromDb(r.first_seen), lastSeen: isoFromDb(r.last_seen) });
    }
  }
  return out;
}

/** A stored finding as the fold reads it. */
interface Finding {
  readonly id: string;
  readonly targetCount: number;
  readonly attackerCount: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** null: kept before `lists` existed (read from the child rows when needed). */
  readonly lists: ReuseLists | null;
}

async function findingsOf(tx: WriteTx, keys: ReadonlyMap<string, unknown>, hashes: readonly string[]): Promise<Map<string, Finding>> {
  const out = new Map<string, Finding>();
  for (const part of chunks(hashes, IN_LIST)) {
    const rows = await selectAll(
      tx,
      tx.db
        .selectFrom('credential_reuse')
        .select(['id', 'secret_sha256', 'secret_kind', 'principal_key', 'target_count', 'attacker_count', 'first_seen', 'last_seen', 'lists'])
        .where('secret_sha256', 'in', inValues(tx.dialect, part)),
    );
    for (const r of rows) {
      const text = keyText({ sha: r.secret_sha256, kind: r.secret_kind, principalKey: r.principal_key });
      const lists = fromDbJson(r.lists) as ReuseLists | null;
      if (keys.has(text)) out.set(text, { id: r.id, targetCount: fromDbInt(r.target_count), attackerCount: fromDbInt(r.attacker_count), firstSeen: isoFromDb(r.first_seen), lastSeen: isoFromDb(r.last_seen), lists });
    }
  }
  return out;
}

/** Lists of findings kept before `lists` existed, from their child rows. */
async function listsFromChildren(tx: WriteTx, ids: readonly string[]): Promise<Map<string, ReuseLists>> {
  const rows = new Map<string, Pick<KeyRows, 'targets' | 'attackers'>>(ids.map((id) => [id, { targets: new Map(), attackers: new Map() }]));
  for (const part of chunks(ids, IN_LIST)) {
    for (const r of await selectAll(tx, tx.db.selectFrom('credential_reuse_targets').select(['reuse_id', 'decky', 'service']).where('reuse_id', 'in', inValues(tx.dialect, part)))) {
      rows.get(r.reuse_id)?.targets.set(targetText(r.decky, r.service), { decky: r.decky, service: r.service, firstSeen: '', lastSeen: '' });
    }
    for (const r of await selectAll(tx, tx.db.selectFrom('credential_reuse_attackers').select(['reuse_id', 'attacker_ip', 'attacker_id']).where('reuse_id', 'in', inValues(tx.dialect, part)))) {
      rows.get(r.reuse_id)?.attackers.set(r.attacker_ip, r.attacker_id);
    }
  }
  return new Map([...rows].map(([id, r]) => [id, mergeLists(NO_LISTS, additionsOf(r))]));
}

interface FindingRow {
  readonly id: string;
  readonly key: ReuseKey;
  readonly targetCount: number;
  readonly attackerCount: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lists: ReuseLists;
}

const INSERT_FINDING = `insert into credential_reuse (id, secret_sha256, secret_kind, principal, principal_key, confidence, detected_at, target_count, attacker_count, first_seen, last_seen, updated_at, lists)
  values (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_FINDING = 'update credential_reuse set target_count = ?, attacker_count = ?, first_seen = ?, last_seen = ?, updated_at = ?, lists = ? where id = ?';

/** Inserts or updates the `credential_reuse` row itself (on SQLite with prepared statements: one per finding of a batch). */
async function writeFindingRow(tx: WriteTx, f: FindingRow, isNew: boolean, now: string): Promise<void> {
  const lists = jsonText(f.lists);
  const prepared = sqlitePreparedIn(tx, isNew ? INSERT_FINDING : UPDATE_FINDING);
  if (prepared && isNew) prepared.run(f.id, f.key.sha, f.key.kind, storedPrincipal(f.key), f.key.principalKey, now, f.targetCount, f.attackerCount, f.firstSeen, f.lastSeen, now, lists);
  else if (prepared) prepared.run(f.targetCount, f.attackerCount, f.firstSeen, f.lastSeen, now, lists, f.id);
  else {
    const row = { target_count: f.targetCount, attacker_count: f.attackerCount, first_seen: f.firstSeen, last_seen: f.lastSeen, updated_at: now, lists };
    if (isNew) await tx.db.insertInto('credential_reuse').values({ id: f.id, secret_sha256: f.key.sha, secret_kind: f.key.kind, principal: storedPrincipal(f.key), principal_key: f.key.principalKey, confidence: 1, detected_at: now, ...row }).execute();
    else await tx.db.updateTable('credential_reuse').set(row).where('id', '=', f.id).execute();
  }
}

/** Child rows a batch brings to its findings. */
type TargetChild = { reuse_id: string; decky: string; service: string; first_seen: string; last_seen: string };
type AttackerChild = { reuse_id: string; attacker_ip: string; attacker_id: string | null };

/** Per finding id, what the batch added. */
interface Added {
  readonly targets: Array<{ decky: string; service: string }>;
  readonly ips: string[];
  readonly uuids: string[];
}

function addedTo(added: Map<string, Added>, id: string): Added {
  let a = added.get(id);
  if (!a) added.set(id, (a = { targets: [], ips: [], uuids: [] }));
  return a;
}

const INSERT_TARGET = 'insert into credential_reuse_targets (reuse_id, decky, service, first_seen, last_seen) values (?, ?, ?, ?, ?) on conflict do nothing';
const INSERT_ATTACKER = 'insert into credential_reuse_attackers (reuse_id, attacker_ip, attacker_id) values (?, ?, ?) on conflict do nothing';
const FILL_ATTACKER = 'update credential_reuse_attackers set attacker_id = ? where reuse_id = ? and attacker_ip = ? and attacker_id is null';

/**
 * Inserts the targets that are missing (into `added`) and widens the first/last seen
 * of those already there: the statements touch the batch's rows, never the finding's
 * whole list. On SQLite one prepared statement per row (kysely's compile of a multi-row
 * statement costs more than the rows), on PostgreSQL multi-row statements.
 */
async function addTargets(tx: WriteTx, rows: readonly TargetChild[], added: Map<string, Added>): Promise<void> {
  const insert = sqlitePreparedIn(tx, INSERT_TARGET);
  if (insert) {
    for (const r of rows) {
      if (insert.run(r.reuse_id, r.decky, r.service, r.first_seen, r.last_seen).changes > 0) addedTo(added, r.reuse_id).targets.push({ decky: r.decky, service: r.service });
      else await widenTarget(tx, r.reuse_id, { decky: r.decky, service: r.service, span: { first: r.first_seen, last: r.last_seen } });
    }
    return;
  }
  for (const part of chunks(rows, ROWS_PER_STATEMENT)) {
    const inserted = await tx.db.insertInto('credential_reuse_targets').values(part).onConflict((oc) => oc.doNothing()).returning(['reuse_id', 'decky', 'service']).execute();
    const fresh = new Set(inserted.map((r) => `${r.reuse_id}\u0000${targetText(r.decky, r.service)}`));
    for (const r of inserted) addedTo(added, r.reuse_id).targets.push({ decky: r.decky, service: r.service });
    const known = part.filter((r) => !fresh.has(`${r.reuse_id}\u0000${targetText(r.decky, r.service)}`));
    if (known.length === 0) continue;
    await tx.db
      .insertInto('credential_reuse_targets')
      .values(known)
      .onConflict((oc) =>
        oc.columns(['reuse_id', 'decky', 'service']).doUpdateSet((eb) => ({
          first_seen: least(tx.dialect, eb.ref('credential_reuse_targets.first_seen'), eb.ref('excluded.first_seen')),
          last_seen: greatest(tx.dialect, eb.ref('credential_reuse_targets.last_seen'), eb.ref('excluded.last_seen')),
        })),
      )
      .execute();
  }
}

/** Inserts the attackers that are missing (into `added`) and fills the id of those already there without one (their ids too). */
async function addAttackers(tx: WriteTx, rows: readonly AttackerChild[], added: Map<string, Added>): Promise<void> {
  const [insert, fill] = [INSERT_ATTACKER, FILL_ATTACKER].map((text) => sqlitePreparedIn(tx, text));
  if (insert && fill) {
    for (const r of rows) {
      if (insert.run(r.reuse_id, r.attacker_ip, r.attacker_id).changes > 0) {
        const a = addedTo(added, r.reuse_id);
        a.ips.push(r.attacker_ip);
        if (r.attacker_id !== null) a.uuids.push(r.attacker_id);
      } else if (r.attacker_id !== null && fill.run(r.attacker_id, r.reuse_id, r.attacker_ip).changes > 0) addedTo(added, r.reuse_id).uuids.push(r.attacker_id);
    }
    return;
  }
  for (const part of chunks(rows, ROWS_PER_STATEMENT)) {
    const inserted = await tx.db.insertInto('credential_reuse_attackers').values(part).onConflict((oc) => oc.doNothing()).returning(['reuse_id', 'attacker_ip', 'attacker_id']).execute();
    const fresh = new Set(inserted.map((r) => `${r.reuse_id}\u0000${r.attacker_ip}`));
    for (const r of inserted) {
      const a = addedTo(added, r.reuse_id);
      a.ips.push(r.attacker_ip);
      if (r.attacker_id !== null) a.uuids.push(r.attacker_id);
    }
    const known = part.filter((r) => r.attacker_id !== null && !fresh.has(`${r.reuse_id}\u0000${r.attacker_ip}`));
    if (known.length === 0) continue;
    const kept = await tx.db
      .insertInto('credential_reuse_attackers')
      .values(known)
      .onConflict((oc) => oc.columns(['reuse_id', 'attacker_ip']).doUpdateSet((eb) => ({ attacker_id: eb.fn.coalesce(eb.ref('credential_reuse_attackers.attacker_id'), eb.ref('excluded.attacker_id')) })))
      .returning(['reuse_id', 'attacker_id'])
      .execute();
    for (const r of kept) if (r.attacker_id !== null) addedTo(added, r.reuse_id).uuids.push(r.attacker_id);
  }
}

/**
 * Attempts per key: the `count` of its counted credential rows, summed in the database
 * in the order of the `credentials_secret` index (internal deckies' rows add nothing).
 */
async function attemptsOf(tx: WriteTx, keys: ReadonlyMap<string, ReuseKey>, settings: AnalysisConfig): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const prefix = settings.internalDeckyPrefix;
  for (const part of chunks([...new Set([...keys.values()].map((k) => k.sha))], IN_LIST)) {
    const rows = await selectAll(
      tx,
      tx.db
        .selectFrom('credentials')
        .select(['secret_sha256', 'secret_kind', 'principal', sql<number>`sum(case when substr(${sql.ref('decky')}, 1, ${prefix.length}) = ${prefix} then 0 else ${sql.ref('count')} end)`.as('n')])
        .where('secret_sha256', 'in', inValues(tx.dialect, part))
        .groupBy(['secret_sha256', 'secret_kind', 'principal']),
    );
    for (const r of rows) {
      const text = keyText({ sha: r.secret_sha256, kind: r.secret_kind, principalKey: principalKey(r.principal, settings.reuseAcrossPrincipals) });
      if (keys.has(text)) out.set(text, (out.get(text) ?? 0) + fromDbInt(r.n));
    }
  }
  return out;
}

function payloadOf(row: FindingRow, attempts: number, reason: ReuseReason): ReuseDetectedPayload {
  return {
    id: row.id,
    secret_sha256: row.key.sha,
    secret_kind: row.key.kind,
    principal: storedPrincipal(row.key),
    target_count: row.targetCount,
    attempt_count: attempts,
    ...row.lists,
    first_seen: row.firstSeen,
    last_seen: row.lastSeen,
    reason,
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
export async function touchFindings(tx: WriteTx, rows: readonly LogFacts[], settings: AnalysisConfig): Promise<void> {
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
    const found = await selectAll(tx, tx.db.selectFrom('credential_reuse').select(['id', 'secret_sha256', 'secret_kind', 'principal_key', 'first_seen', 'last_seen']).where('secret_sha256', 'in', inValues(tx.dialect, part)));
    for (const f of found) {
      const hit = keys.get(keyText({ sha: f.secret_sha256, kind: f.secret_kind, principalKey: f.principal_key }));
      if (!hit) continue;
      const { first, last } = hit.span;
      if (first < isoFromDb(f.first_seen) || last > isoFromDb(f.last_seen)) await widenFinding(tx, f.id, hit.span);
      for (const t of hit.targets.values()) await widenTarget(tx, f.id, t);
    }
  }
}

const WIDEN_FINDING = 'update credential_reuse set first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) where id = ?';
const WIDEN_TARGET = 'update credential_reuse_targets set first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) where reuse_id = ? and decky = ? and service = ?';

/** Widens a finding's first/last seen to `span` (prepared on SQLite: one run per touched finding). */
async function widenFinding(tx: WriteTx, id: string, span: Span): Promise<void> {
  const prepared = sqlitePreparedIn(tx, WIDEN_FINDING);
  if (prepared) prepared.run(span.first, span.last, id);
  else {
    await tx.db
      .updateTable('credential_reuse')
      .set((eb) => ({ first_seen: least(tx.dialect, eb.ref('first_seen'), eb.val(span.first)), last_seen: greatest(tx.dialect, eb.ref('last_seen'), eb.val(span.last)) }))
      .where('id', '=', id)
      .execute();
  }
}

/** Widens one target of a finding, when it has that target. */
async function widenTarget(tx: WriteTx, id: string, t: { readonly decky: string; readonly service: string; readonly span: Span }): Promise<void> {
  const prepared = sqlitePreparedIn(tx, WIDEN_TARGET);
  if (prepared) prepared.run(t.span.first, t.span.last, id, t.decky, t.service);
  else {
    await tx.db
      .updateTable('credential_reuse_targets')
      .set((eb) => ({ first_seen: least(tx.dialect, eb.ref('first_seen'), eb.val(t.span.first)), last_seen: greatest(tx.dialect, eb.ref('last_seen'), eb.val(t.span.last)) }))
      .where('reuse_id', '=', id)
      .where('decky', '=', t.decky)
      .where('service', '=', t.service)
      .execute();
  }
}

export interface ReuseBatchEffects {
  /** Findings inserted or grown (one journaled event each). */
  readonly findings: number;
  /** Credential rows of the batch whose attacker is unknown. */
  readonly orphans: number;
}

/** Back-fills `attacker_id` of the batch's rows (seq `from`…`to`); returns each row's id afterwards by seq. */
async function backfillAttackers(tx: WriteTx, from: number, to: number): Promise<Map<number, string | null>> {
  await tx.db
    .updateTable('credentials')
    .set((eb) => ({ attacker_id: eb.selectFrom('attackers').select('attackers.id').whereRef('attackers.ip', '=', 'credentials.attacker_ip') }))
    .where('seq', '>=', from)
    .where('seq', '<=', to)
    .where('attacker_id', 'is', null)
    .execute();
  const rows = await selectAll(tx, tx.db.selectFrom('credentials').select(['seq', 'attacker_id']).where('seq', '>=', from).where('seq', '<=', to));
  return new Map(rows.map((r) => [fromDbInt(r.seq), r.attacker_id]));
}

/** The batch's counted rows, grouped per key. */
function batchRows(rows: readonly Credential[], attackerIds: ReadonlyMap<number, string | null>, settings: AnalysisConfig): Map<string, KeyRows> {
  const out = new Map<string, KeyRows>();
  for (const r of rows) {
    if (isInternalDecky(r.decky, settings.internalDeckyPrefix)) continue;
    const key = { sha: r.secretSha256, kind: r.secretKind, principalKey: principalKey(r.principal, settings.reuseAcrossPrincipals) };
    addFacts(out, keyText(key), key, { decky: r.decky, service: r.service, attackerIp: r.attackerIp, attackerId: attackerIds.get(r.seq) ?? null, firstSeen: r.firstSeen, lastSeen: r.lastSeen });
  }
  return out;
}

/** What one touched key does to its finding in this batch. */
interface Change {
  readonly id: string;
  /** The finding before the batch; undefined: inserted now. */
  readonly before: Finding | undefined;
  /** The rows the finding is (re)built from (all of the key's), or grown by (the batch's). */
  readonly rows: KeyRows;
  /** Whether `rows` are all of the key's (a new finding, or one a rebuild reset): its counts, span and lists are theirs. */
  readonly whole: boolean;
}

/** A finding built from all of its key's rows. */
function wholeRow(c: Change): FindingRow {
  const { key, targets, attackers, firstSeen, lastSeen } = c.rows;
  return { id: c.id, key, targetCount: targets.size, attackerCount: attackers.size, firstSeen, lastSeen, lists: mergeLists(NO_LISTS, additionsOf(c.rows)) };
}

/** A finding grown by what the batch `added` (and its span widened by the batch's rows). */
function grownRow(c: Change, before: Finding, lists: ReuseLists, added: Added | undefined): FindingRow {
  const { key, firstSeen, lastSeen } = c.rows;
  return {
    id: c.id,
    key,
    targetCount: before.targetCount + (added?.targets.length ?? 0),
    attackerCount: before.attackerCount + (added?.ips.length ?? 0),
    firstSeen: firstSeen < before.firstSeen ? firstSeen : before.firstSeen,
    lastSeen: lastSeen > before.lastSeen ? lastSeen : before.lastSeen,
    lists: added ? mergeLists(lists, added) : lists,
  };
}

/**
 * Folds credential rows `rows` (one batch, seq order) in `tx`: back-fills their
 * `attacker_id`, then updates the findings of the keys they touch and journals the
 * events (published after the commit; `bus` null journals without a live copy). Under
 * `replay` (a rebuild) the findings are rewritten and nothing is journaled.
 *
 * A key with a finding grows by the batch's own rows: the missing targets and attackers
 * are inserted, and the counts and lists grow by what was inserted. A key without one
 * (or whose finding a rebuild reset) is counted, and once it qualifies built from all
 * its rows.
 */
export async function foldCredentials(tx: WriteTx, bus: Bus | null, rows: readonly Credential[], settings: AnalysisConfig, replay = false): Promise<ReuseBatchEffects> {
  if (rows.length === 0) return { findings: 0, orphans: 0 };
  const attackerIds = await backfillAttackers(tx, (rows[0] as Credential).seq, (rows.at(-1) as Credential).seq);
  const orphans = [...attackerIds.values()].filter((id) => id === null).length;

  const touched = batchRows(rows, attackerIds, settings);
  const stored = await findingsOf(tx, touched, [...new Set([...touched.values()].map((k) => k.key.sha))]);
  const live = (text: string): boolean => (stored.get(text)?.targetCount ?? 0) > 0;
  const unfound = new Map([...touched].filter(([text]) => !live(text)).map(([text, k]) => [text, k.key]));
  const built = await allRowsOf(tx, await qualifyingKeys(tx, unfound, settings), settings);
  const changes: Change[] = [
    ...[...touched].filter(([text]) => live(text)).map(([text, k]) => ({ id: (stored.get(text) as Finding).id, before: stored.get(text), rows: k, whole: false })),
    ...[...built].map(([text, k]) => ({ id: stored.get(text)?.id ?? randomUUID(), before: stored.get(text), rows: k, whole: true })),
  ];
  if (changes.length === 0) return { findings: 0, orphans };

  const now = tx.clock.isoNow();
  // a whole finding's row goes first: its children reference it
  for (const c of changes) if (c.whole) await writeFindingRow(tx, wholeRow(c), c.before === undefined, now);
  const added = new Map<string, Added>();
  await addTargets(tx, changes.flatMap((c) => [...c.rows.targets.values()].map((t) => ({ reuse_id: c.id, decky: t.decky, service: t.service, first_seen: t.firstSeen, last_seen: t.lastSeen }))), added);
  await addAttackers(tx, changes.flatMap((c) => [...c.rows.attackers].map(([ip, attackerId]) => ({ reuse_id: c.id, attacker_ip: ip, attacker_id: attackerId }))), added);
  const legacy = await listsFromChildren(tx, changes.filter((c) => !c.whole && c.before?.lists === null).map((c) => c.id));

  const grown: Array<{ row: FindingRow; reason: ReuseReason }> = [];
  for (const c of changes) {
    let row = wholeRow(c);
    if (!c.whole) {
      const before = c.before as Finding;
      row = grownRow(c, before, before.lists ?? (legacy.get(c.id) as ReuseLists), added.get(c.id));
      const widened = row.firstSeen !== before.firstSeen || row.lastSeen !== before.lastSeen;
      if (added.has(c.id) || widened || before.lists === null) await writeFindingRow(tx, row, false, now);
    }
    const reason: ReuseReason | undefined = c.before === undefined ? 'new' : row.targetCount > c.before.targetCount ? 'new_targets' : row.attackerCount > c.before.attackerCount ? 'new_attackers' : undefined;
    if (reason !== undefined) grown.push({ row, reason });
  }
  if (replay || grown.length === 0) return { findings: 0, orphans };

  const attempts = await attemptsOf(tx, new Map(grown.map((g) => [keyText(g.row.key), g.row.key])), settings);
  for (const { row, reason } of grown) await journalAndPublish(tx, bus, REUSE_DETECTED, payloadOf(row, attempts.get(keyText(row.key)) ?? 0, reason));
  return { findings: grown.length, orphans };
}

/**
 * A rebuild's reset (rebuild.ts): the findings lose their targets and attackers and
 * count none, but keep their ids and `detected_at`; the replay rewrites each one whose
 * key still qualifies.
 */
export async function resetFindings(tx: WriteTx): Promise<void> {
  await tx.db.deleteFrom('credential_reuse_targets').execute();
  await tx.db.deleteFrom('credential_reuse_attackers').execute();
  await tx.db.updateTable('credential_reuse').set({ target_count: 0, attacker_count: 0, lists: null }).execute();
}

/** After the replay: the findings it did not rewrite (no target: their key no longer qualifies) go. */
export async function dropUnderivedFindings(tx: WriteTx): Promise<void> {
  await tx.db.deleteFrom('credential_reuse').where('target_count', '=', 0).execute();
}
