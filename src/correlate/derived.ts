/**
 * The counts an attacker row derives from other rows (analysis.md §1.1, §1.3, §1.5),
 * recomputed for the attackers a batch touched — from the stored rows, so they are
 * exact after any restart or replay:
 *
 * - deckies, services and the traversal from `attacker_targets` (first-contact order:
 *   a decky's earliest target, then its name);
 * - credentials (ingest's rows of counted deckies), distinct fingerprints (ingest's
 *   observations, the prober's included: it may feed fingerprints, §0.4), captured
 *   artifacts, and sessions; bounty = credentials + fingerprints + artifacts;
 * - behaviour over the latest counted rows, when older than the interval.
 */
import { sql } from 'kysely';
import type { AnalysisConfig } from '../config/index.js';
import { fromDbInt, isoFromDb, type LogFacts, type WriteTx } from '../db/index.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';
import type { AttackerState } from './attacker-state.js';
import { BEHAVIOR_WINDOW, computeBehavior } from './behavior.js';
import { layoutOf, type TargetLayout, type TargetRow } from './deckies.js';
import { jsonObject } from './inputs.js';
import { chunks, IN_LIST, inValues, selectAll } from './sql.js';
import { MUTATION_EVENT_TYPE } from './vocabulary.js';

type CountQuery = Parameters<typeof selectAll<{ key: string | null; n: number | string | bigint }>>[1];

/** A grouped count `{key, n}` as a map (prepared once on SQLite: selectAll). */
async function countBy(tx: WriteTx, query: CountQuery): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const r of await selectAll(tx, query)) if (r.key !== null) out.set(r.key, fromDbInt(r.n));
  return out;
}

/** `substr(col, 1, n) <> prefix`, or null: the row is not an internal decky's. */
function notInternal(column: 'decky', prefix: string) {
  return sql<boolean>`(${sql.ref(column)} is null or substr(${sql.ref(column)}, 1, ${prefix.length}) <> ${prefix})`;
}

/**
 * SQLite: the statement for `text` that `perKey` runs once per key, undefined on
 * PostgreSQL. A prepared per-key lookup is cheaper there than compiling and preparing a
 * 500-value IN list each batch; PostgreSQL keeps one round trip per list.
 */
function perKey(tx: WriteTx, text: string) {
  return sqlitePreparedIn(tx, text);
}

async function targetsOf(tx: WriteTx, ids: readonly string[]): Promise<Map<string, TargetRow[]>> {
  const out = new Map<string, TargetRow[]>();
  const byId = perKey(tx, 'select decky, service, first_seen from attacker_targets where attacker_id = ?');
  if (byId) {
    for (const id of ids) out.set(id, (byId.all(id) as Array<{ decky: string; service: string; first_seen: string }>).map((r) => ({ decky: r.decky, service: r.service, firstSeen: isoFromDb(r.first_seen) })));
    return out;
  }
  for (const part of chunks(ids, IN_LIST)) {
    const rows = await tx.db.selectFrom('attacker_targets').select(['attacker_id', 'decky', 'service', 'first_seen']).where('attacker_id', 'in', part).execute();
    for (const r of rows) {
      let list = out.get(r.attacker_id);
      if (!list) out.set(r.attacker_id, (list = []));
      list.push({ decky: r.decky, service: r.service, firstSeen: isoFromDb(r.first_seen) });
    }
  }
  return out;
}

/** The bounty's parts per IP: one grouped query per table and list (prepared once on SQLite: selectAll). */
async function bountyCounts(tx: WriteTx, ips: readonly string[], prefix: string) {
  const credentials = new Map<string, number>();
  const fingerprints = new Map<string, number>();
  const artifacts = new Map<string, number>();
  const merge = (into: Map<string, number>, from: Map<string, number>): void => from.forEach((v, k) => into.set(k, v));
  for (const part of chunks(ips, IN_LIST)) {
    const listed = inValues(tx.dialect, part);
    merge(credentials, await countBy(tx, tx.db.selectFrom('credentials').select((eb) => ['attacker_ip as key', eb.fn.countAll<number>().as('n')]).where('attacker_ip', 'in', listed).where(notInternal('decky', prefix)).groupBy('attacker_ip')));
    const distinct = tx.db.selectFrom('fingerprint_observations').select(['attacker_ip', 'kind', 'port', 'value']).distinct().where('attacker_ip', 'in', listed);
    merge(fingerprints, await countBy(tx, tx.db.selectFrom(distinct.as('d')).select((eb) => ['d.attacker_ip as key', eb.fn.countAll<number>().as('n')]).groupBy('d.attacker_ip')));
    merge(artifacts, await countBy(tx, tx.db.selectFrom('artifacts').select((eb) => ['attacker_ip as key', eb.fn.countAll<number>().as('n')]).where('attacker_ip', 'in', listed).groupBy('attacker_ip')));
  }
  return { credentials, fingerprints, artifacts };
}

/** Sessions per attacker id: one grouped query per list. */
async function sessionCounts(tx: WriteTx, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunks(ids, IN_LIST)) {
    const rows = await selectAll(
      tx,
      tx.db
        .selectFrom('attacker_sessions')
        .select((eb) => ['attacker_id as key', eb.fn.countAll<number>().as('n')])
        .where('attacker_id', 'in', inValues(tx.dialect, part))
        .groupBy('attacker_id'),
    );
    for (const r of rows) out.set(r.key, fromDbInt(r.n));
  }
  return out;
}

/** User-agent tools ingest named for these IPs (`http_useragent` details `tool`), first seen first. */
async function userAgentTools(tx: WriteTx, ips: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const part of chunks(ips, IN_LIST)) {
    const rows = await selectAll(tx, tx.db.selectFrom('fingerprint_observations').select(['attacker_ip', 'details']).where('kind', '=', 'http_useragent').where('attacker_ip', 'in', inValues(tx.dialect, part)).orderBy('id'));
    for (const r of rows) {
      const tool = jsonObject(r.details).tool;
      if (typeof tool !== 'string' || tool === '' || r.attacker_ip === null) continue;
      let list = out.get(r.attacker_ip);
      if (!list) out.set(r.attacker_ip, (list = []));
      if (!list.includes(tool)) list.push(tool);
    }
  }
  return out;
}

/** The counted-row filter of behaviour samples (internal deckies and sources, markers left out). */
const SAMPLE_FILTER = `(decky is null or substr(decky, 1, ?) <> ?) and substr(source, 1, 9) <> 'internal:' and (event_type is null or event_type <> ?)`;
const BEHAVIOR_SAMPLES = `select timestamp, service from logs where attacker_ip = ? and ${SAMPLE_FILTER} order by id desc limit ?`;

interface SampleRow {
  readonly attacker_ip: string;
  readonly timestamp: string | Date;
  readonly service: string | null;
}

/**
 * The latest counted rows of each IP (by id, via `logs(attacker_ip, id)`), newest first:
 * one prepared lookup per IP on SQLite, one LATERAL query for all on PostgreSQL (a round
 * trip per attacker would dominate a batch whose attackers are all due).
 */
async function latestRows(tx: WriteTx, ips: readonly string[], prefix: string): Promise<Map<string, SampleRow[]>> {
  const out = new Map<string, SampleRow[]>(ips.map((ip) => [ip, []]));
  const prepared = perKey(tx, BEHAVIOR_SAMPLES);
  if (prepared) {
    for (const ip of ips) out.set(ip, (prepared.all(ip, prefix.length, prefix, MUTATION_EVENT_TYPE, BEHAVIOR_WINDOW) as SampleRow[]));
    return out;
  }
  for (const part of chunks(ips, IN_LIST)) {
    // SAMPLE_FILTER with PostgreSQL's placeholders
    const { rows } = await sql<SampleRow>`
      select u.ip as attacker_ip, l.timestamp, l.service
      from unnest(${[...part]}::text[]) as u(ip)
      cross join lateral (
        select timestamp, service, id from logs
        where attacker_ip = u.ip and (decky is null or substr(decky, 1, ${prefix.length}) <> ${prefix})
          and substr(source, 1, 9) <> 'internal:' and (event_type is null or event_type <> ${MUTATION_EVENT_TYPE})
        order by id desc limit ${BEHAVIOR_WINDOW}
      ) as l
      order by u.ip, l.id desc`.execute(tx.db);
    for (const r of rows) out.get(r.attacker_ip)?.push(r);
  }
  return out;
}

/** Behaviour samples from latestRows' rows: oldest first, so equal timestamps keep id order through the stable sort. */
function samplesOf(rows: readonly SampleRow[]) {
  return [...rows].reverse().map((r) => ({ ts: Date.parse(isoFromDb(r.timestamp)), service: r.service ?? '' }));
}

function behaviorDue(s: AttackerState, nowMs: number, intervalSecs: number): boolean {
  if (s.eventCount === 0) return false;
  if (s.behaviorComputedAt === null || intervalSecs === 0) return true;
  return nowMs - Date.parse(s.behaviorComputedAt) >= intervalSecs * 1000;
}

/** The layouts of these attackers from all their stored targets. */
async function storedLayouts(tx: WriteTx, ids: readonly string[]): Promise<Map<string, TargetLayout>> {
  const targets = await targetsOf(tx, ids);
  return new Map(ids.map((id) => [id, layoutOf(targets.get(id) ?? [])]));
}

/**
 * Recomputes the derived columns of `states` in place (the caller saves them).
 * `batchRows` are the counted rows of this batch per IP, in id order: for an attacker
 * with no counted row before the batch they are all its rows, so its behaviour needs
 * no query. `appended` holds the layouts known without reading the targets back
 * (deckies.ts appendedLayouts, taken before the batch was folded).
 */
export async function refreshDerived(tx: WriteTx, states: readonly AttackerState[], settings: AnalysisConfig, now: string, batchRows: ReadonlyMap<string, readonly LogFacts[]>, appended: ReadonlyMap<string, TargetLayout>): Promise<void> {
  const ids = states.map((s) => s.id);
  const prefix = settings.internalDeckyPrefix;
  const layouts = new Map([...appended, ...(await storedLayouts(tx, ids.filter((id) => !appended.has(id))))]);
  const [bounty, sessions] = [await bountyCounts(tx, states.map((s) => s.ip), prefix), await sessionCounts(tx, ids)];
  const nowMs = Date.parse(now);
  const due = states.filter((s) => behaviorDue(s, nowMs, settings.behaviorIntervalSecs));
  const tools = due.length > 0 ? await userAgentTools(tx, due.map((s) => s.ip)) : new Map<string, string[]>();
  for (const s of states) {
    const { deckyCount, path, services } = layouts.get(s.id) as TargetLayout;
    s.deckyCount = deckyCount;
    s.serviceCount = services;
    s.isTraversal = deckyCount >= settings.traversalMinDeckies;
    s.traversalPath = s.isTraversal ? path : null;
    s.credentialCount = bounty.credentials.get(s.ip) ?? 0;
    s.fingerprintCount = bounty.fingerprints.get(s.ip) ?? 0;
    s.bountyCount = s.credentialCount + s.fingerprintCount + (bounty.artifacts.get(s.ip) ?? 0);
    s.sessionCount = sessions.get(s.id) ?? 0;
  }
  const freshRows = (s: AttackerState): readonly LogFacts[] | undefined => (s.eventCountBefore === 0 ? batchRows.get(s.ip) : undefined);
  const stored = await latestRows(tx, due.filter((s) => freshRows(s) === undefined).map((s) => s.ip), prefix);
  for (const s of due) {
    const fresh = freshRows(s);
    const samples = fresh ? fresh.slice(-BEHAVIOR_WINDOW).map((r) => ({ ts: Date.parse(r.timestamp), service: r.service ?? '' })) : samplesOf(stored.get(s.ip) ?? []);
    const behavior = computeBehavior(samples, tools.get(s.ip) ?? []);
    s.behavior = behavior;
    s.behaviorClass = behavior.behavior_class;
    s.behaviorComputedAt = now;
  }
}
