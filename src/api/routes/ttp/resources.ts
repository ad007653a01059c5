/**
 * From rows to resources (ttp.md §8.1, §10.2): tags with their catalogue names and both
 * attacker references, technique rows in the matrix's tactic order, and rollups.
 */
import type { Db, TechniqueAggregate, TtpTagRow } from '../../../db/index.js';
import type { Catalog } from '../../../ttp/index.js';
import type { Rollup, TagResource, TechniqueRow } from './schemas.js';

/** The attacker fields of a tag, filled from the attackers table where the tag lacks one. */
export type AttackerRefs = (tag: TtpTagRow) => { attacker_ip: string | null; attacker_uuid: string | null };

/**
 * Looks up, once per distinct value, the address of tags that only have a UUID and the
 * UUID of tags that only have an address (linking may not have reached them yet, §1.6).
 */
export async function attackerRefs(db: Db, tags: readonly TtpTagRow[]): Promise<AttackerRefs> {
  const uuids = [...new Set(tags.filter((t) => t.attacker_ip === null && t.attacker_uuid !== null).map((t) => t.attacker_uuid as string))];
  const ips = [...new Set(tags.filter((t) => t.attacker_uuid === null && t.attacker_ip !== null).map((t) => t.attacker_ip as string))];
  const ipOf = new Map<string, string>();
  const uuidOf = new Map<string, string>();
  await Promise.all([
    ...uuids.map(async (u) => {
      const a = await db.repos.attackers.find(u);
      if (a) ipOf.set(u, a.ip);
    }),
    ...ips.map(async (ip) => {
      const a = await db.repos.attackers.findByIp(ip);
      if (a) uuidOf.set(ip, a.id);
    }),
  ]);
  return (t) => ({
    attacker_ip: t.attacker_ip ?? (t.attacker_uuid === null ? null : (ipOf.get(t.attacker_uuid) ?? null)),
    attacker_uuid: t.attacker_uuid ?? (t.attacker_ip === null ? null : (uuidOf.get(t.attacker_ip) ?? null)),
  });
}

/** The technique as tagged: the sub-technique when there is one. */
export const taggedTechnique = (t: { technique_id: string; sub_technique_id: string | null }): string => t.sub_technique_id ?? t.technique_id;

export function toTag(row: TtpTagRow, catalog: Catalog, refs: AttackerRefs, withEvidence: boolean): TagResource {
  const { evidence, ...columns } = row;
  const technique = catalog.technique(taggedTechnique(row));
  return {
    ...columns,
    group_key: [...row.group_key],
    ...refs(row),
    technique_name: technique?.display_name ?? null,
    tactic_name: catalog.tactic(row.tactic_id)?.name ?? null,
    url: technique?.url ?? null,
    ...(withEvidence ? { evidence } : {}),
  };
}

/** The first tactic's place in the matrix (unknown tactics last). */
function matrixOrder(tacticIds: readonly string[], catalog: Catalog): number {
  return Math.min(Number.MAX_SAFE_INTEGER, ...tacticIds.map((t) => catalog.tactic(t)?.order ?? Number.MAX_SAFE_INTEGER));
}

function toTechniqueRow(a: TechniqueAggregate, catalog: Catalog): TechniqueRow {
  const entry = catalog.technique(taggedTechnique(a));
  const order = (t: string): number => catalog.tactic(t)?.order ?? Number.MAX_SAFE_INTEGER;
  return {
    technique_id: a.technique_id,
    sub_technique_id: a.sub_technique_id,
    name: entry?.display_name ?? taggedTechnique(a),
    tactic_ids: [...a.tactic_ids].sort((x, y) => order(x) - order(y)),
    tag_count: a.tag_count,
    attacker_count: a.attacker_count,
    first_seen: a.first_seen,
    last_seen: a.last_seen,
    max_confidence: a.max_confidence,
    rule_ids: [...a.rule_ids].sort(),
    url: entry?.url ?? null,
  };
}

/** One row per (technique, sub-technique), in the matrix's tactic order, then by id (a parent before its sub-techniques). */
export function techniqueRows(aggregates: readonly TechniqueAggregate[], catalog: Catalog): TechniqueRow[] {
  const rows = aggregates.map((a) => toTechniqueRow(a, catalog));
  const key = (r: TechniqueRow): [number, string, string] => [matrixOrder(r.tactic_ids, catalog), r.technique_id, r.sub_technique_id ?? ''];
  return rows.sort((a, b) => {
    const [ao, at, as] = key(a);
    const [bo, bt, bs] = key(b);
    return ao - bo || (at < bt ? -1 : at > bt ? 1 : as < bs ? -1 : as > bs ? 1 : 0);
  });
}

/** Oldest first, for an attacker's profile. */
export function byFirstSeen(rows: TechniqueRow[]): TechniqueRow[] {
  return rows.sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : 0));
}

export interface ScopeSummary {
  readonly tag_count: number;
  readonly first_seen: string | null;
  readonly last_seen: string | null;
  readonly attacker_ips: string[];
  readonly attacker_uuids: string[];
}

export function rollup(scope: string, summary: ScopeSummary, aggregates: readonly TechniqueAggregate[], catalog: Catalog): Rollup {
  const techniques = techniqueRows(aggregates, catalog);
  const perTactic = new Map<string, number>();
  for (const row of techniques) for (const t of row.tactic_ids) perTactic.set(t, (perTactic.get(t) ?? 0) + 1);
  const tactics = catalog
    .tactics()
    .filter((t) => perTactic.has(t.id))
    .map((t) => ({ tactic_id: t.id, name: t.name, technique_count: perTactic.get(t.id) as number }));
  return { scope, ...summary, attacker_ips: [...summary.attacker_ips].sort(), attacker_uuids: [...summary.attacker_uuids].sort(), tactics, techniques };
}
