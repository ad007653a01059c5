/**
 * Everything correlate derives, read raw from one database, to compare two states: an
 * incremental fold against a rebuild (same database: ids must match too), or a killed
 * and restarted run against a clean one (two databases: `portable` maps ids to what they
 * stand for). Columns that record when a process wrote, not what it derived, are left out.
 */
import type { Db } from '../../src/db/index.js';

type Row = Record<string, unknown>;

export interface Derived {
  readonly attackers: Row[];
  readonly attacker_targets: Row[];
  readonly attacker_sessions: Row[];
  readonly credential_reuse: Row[];
  readonly credential_reuse_targets: Row[];
  readonly credential_reuse_attackers: Row[];
  /** `seq` and the back-filled `attacker_id`. */
  readonly credentials: Row[];
  /** correlate's `worker_cursors` rows: name and position (those past 0). */
  readonly cursors: Row[];
}

/** Write times: the clock of the pass that wrote the row, not a result. */
const WRITE_TIMES: Partial<Record<keyof Derived, readonly string[]>> = { attackers: ['updated_at', 'behavior_computed_at'], credential_reuse: ['updated_at'] };

const byJson = (a: Row, b: Row): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

function without(row: Row, columns: readonly string[]): Row {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !columns.includes(k)));
}

export async function snapshotDerived(db: Db): Promise<Derived> {
  const k = db.kysely;
  const table = async (name: Exclude<keyof Derived, 'credentials' | 'cursors'>): Promise<Row[]> => ((await k.selectFrom(name).selectAll().execute()) as Row[]).map((r) => without(r, WRITE_TIMES[name] ?? [])).sort(byJson);
  return {
    attackers: await table('attackers'),
    attacker_targets: await table('attacker_targets'),
    attacker_sessions: await table('attacker_sessions'),
    credential_reuse: await table('credential_reuse'),
    credential_reuse_targets: await table('credential_reuse_targets'),
    credential_reuse_attackers: await table('credential_reuse_attackers'),
    credentials: (await k.selectFrom('credentials').select(['seq', 'attacker_id']).orderBy('seq').execute()) as Row[],
    // a row at 0 reads as no row (a closed replay window)
    cursors: ((await k.selectFrom('worker_cursors').select(['name', 'position']).where('worker', '=', 'correlate').orderBy('name').execute()) as Row[]).filter((c) => Number(c.position) > 0),
  };
}

/** The same state with ids replaced by what they name (attacker → IP, finding → key) and creation times dropped. */
export function portable(d: Derived): Derived {
  const ipOf = new Map(d.attackers.map((a) => [a.id, a.ip]));
  const keyOf = new Map(d.credential_reuse.map((f) => [f.id, `${String(f.secret_sha256)}/${String(f.secret_kind)}/${String(f.principal_key)}`]));
  const attacker = (r: Row): Row => ({ ...r, attacker_id: r.attacker_id === null ? null : ipOf.get(r.attacker_id) });
  const finding = (r: Row): Row => ({ ...r, reuse_id: keyOf.get(r.reuse_id) });
  const summary = (v: unknown): unknown => {
    if (v === null) return null;
    const { attacker_uuid: _uuid, ...rest } = (typeof v === 'string' ? JSON.parse(v) : v) as Row;
    return rest;
  };
  // a finding's kept lists name attackers by UUID, which differ between two databases: by IP instead
  const lists = (v: unknown): unknown => {
    if (v === null) return null;
    const l = (typeof v === 'string' ? JSON.parse(v) : v) as Row & { attacker_uuids: string[] };
    return { ...l, attacker_uuids: l.attacker_uuids.map((id) => ipOf.get(id)).sort() };
  };
  const sorted = (rows: Row[]): Row[] => rows.sort(byJson);
  return {
    attackers: sorted(d.attackers.map((a) => ({ ...without(a, ['id', 'created_at', 'scored_published_at']), scored_summary: summary(a.scored_summary) }))),
    attacker_targets: sorted(d.attacker_targets.map(attacker)),
    attacker_sessions: sorted(d.attacker_sessions.map((s) => without(attacker(s), ['id']))),
    credential_reuse: sorted(d.credential_reuse.map((f) => ({ ...without(f, ['id', 'detected_at']), lists: lists(f.lists) }))),
    credential_reuse_targets: sorted(d.credential_reuse_targets.map(finding)),
    credential_reuse_attackers: sorted(d.credential_reuse_attackers.map((r) => attacker(finding(r)))),
    credentials: d.credentials.map(attacker),
    cursors: d.cursors,
  };
}

/** Journaled events per topic (a rebuild adds none). */
export async function journalCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.kysely.selectFrom('events').select((eb) => ['topic', eb.fn.countAll<number>().as('n')]).groupBy('topic').orderBy('topic').execute();
  return Object.fromEntries(rows.map((r) => [r.topic, Number(r.n)]));
}
