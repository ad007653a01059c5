/**
 * The ATT&CK catalogue (ttp.md §10.2): compact indexes built once from MITRE's STIX bundle —
 * techniques by id (with revocation, deprecation, parent, tactics, display name, URL),
 * tactics by id and short name in the matrix's order, and the groups documented as using
 * each technique. The bundle itself is dropped after the build.
 */

export interface TechniqueEntry {
  readonly id: string;
  readonly name: string;
  /** `"<parent>: <name>"` for a sub-technique. */
  readonly display_name: string;
  readonly is_subtechnique: boolean;
  readonly parent_id: string | null;
  /** TA ids, in matrix order. */
  readonly tactic_ids: readonly string[];
  readonly platforms: readonly string[];
  readonly url: string | null;
  readonly revoked: boolean;
  readonly deprecated: boolean;
  /** The replacement of a revoked technique. */
  readonly replaced_by: string | null;
}

export interface TacticEntry {
  readonly id: string;
  readonly shortname: string;
  readonly name: string;
  readonly url: string | null;
  /** Position in the matrix (0-based). */
  readonly order: number;
}

export interface GroupEntry {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly url: string | null;
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    message: string,
    /** The file at fault. */
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
  }
}

interface StixRef {
  source_name?: string;
  external_id?: string;
  url?: string;
}
interface StixObject {
  type: string;
  id: string;
  name?: string;
  revoked?: boolean;
  x_mitre_deprecated?: boolean;
  x_mitre_is_subtechnique?: boolean;
  x_mitre_platforms?: string[];
  x_mitre_shortname?: string;
  kill_chain_phases?: { kill_chain_name?: string; phase_name?: string }[];
  external_references?: StixRef[];
  tactic_refs?: string[];
  aliases?: string[];
  relationship_type?: string;
  source_ref?: string;
  target_ref?: string;
}

function attackRef(o: StixObject): StixRef | undefined {
  return o.external_references?.find((r) => r.source_name === 'mitre-attack');
}

const current = (o: StixObject | undefined): boolean => o !== undefined && o.revoked !== true && o.x_mitre_deprecated !== true;

export class Catalog {
  private readonly techniquesById = new Map<string, TechniqueEntry>();
  private readonly tacticsByKey = new Map<string, TacticEntry>();
  private readonly tacticList: TacticEntry[] = [];
  private readonly groupsByTechnique = new Map<string, GroupEntry[]>();

  constructor(
    readonly version: string,
    readonly sha256: string | null,
    readonly notice: string,
    bundle: { objects?: unknown },
    file: string,
  ) {
    if (!Array.isArray(bundle.objects)) throw new CatalogError('not a STIX bundle (no `objects` list)', file);
    const objects = bundle.objects as StixObject[];
    const byStix = new Map<string, StixObject>();
    for (const o of objects) byStix.set(o.id, o);

    const matrix = objects.find((o) => o.type === 'x-mitre-matrix');
    if (!matrix?.tactic_refs) throw new CatalogError('no x-mitre-matrix with tactic_refs', file);
    matrix.tactic_refs.forEach((ref, order) => {
      const t = byStix.get(ref);
      const r = t ? attackRef(t) : undefined;
      if (!t || !r?.external_id || !t.x_mitre_shortname) throw new CatalogError(`tactic ${ref} of the matrix is missing`, file);
      const entry: TacticEntry = { id: r.external_id, shortname: t.x_mitre_shortname, name: t.name ?? r.external_id, url: r.url ?? null, order };
      this.tacticList.push(entry);
      this.tacticsByKey.set(entry.id, entry);
      this.tacticsByKey.set(entry.shortname, entry);
    });

    const parentOf = new Map<string, string>();
    const replacedBy = new Map<string, string>();
    const uses: StixObject[] = [];
    for (const o of objects) {
      if (o.type !== 'relationship' || !o.source_ref || !o.target_ref) continue;
      if (o.relationship_type === 'subtechnique-of') parentOf.set(o.source_ref, o.target_ref);
      else if (o.relationship_type === 'revoked-by') replacedBy.set(o.source_ref, o.target_ref);
      else if (o.relationship_type === 'uses' && current(o)) uses.push(o);
    }

    const idOf = (stix: string | undefined): string | null => {
      const o = stix === undefined ? undefined : byStix.get(stix);
      return (o && attackRef(o)?.external_id) ?? null;
    };
    const patterns = objects.filter((o) => o.type === 'attack-pattern');
    for (const o of patterns) {
      const r = attackRef(o);
      if (!r?.external_id) continue;
      const id = r.external_id;
      const isSub = o.x_mitre_is_subtechnique === true;
      const parentId = isSub ? (idOf(parentOf.get(o.id)) ?? id.split('.')[0] ?? null) : null;
      if (isSub && o.revoked !== true && parentId !== null && !id.startsWith(`${parentId}.`)) throw new CatalogError(`sub-technique ${id} has parent ${parentId}, not its id prefix`, file);
      const tactics = (o.kill_chain_phases ?? [])
        .filter((k) => k.kill_chain_name === 'mitre-attack' && k.phase_name)
        .map((k) => this.tacticsByKey.get(k.phase_name as string))
        .filter((t): t is TacticEntry => t !== undefined)
        .sort((a, b) => a.order - b.order)
        .map((t) => t.id);
      this.techniquesById.set(id, {
        id,
        name: o.name ?? id,
        display_name: o.name ?? id,
        is_subtechnique: isSub,
        parent_id: parentId,
        tactic_ids: tactics,
        platforms: o.x_mitre_platforms ?? [],
        url: r.url ?? null,
        revoked: o.revoked === true,
        deprecated: o.x_mitre_deprecated === true,
        replaced_by: o.revoked === true ? idOf(replacedBy.get(o.id)) : null,
      });
    }
    // display names need every parent's name
    for (const [id, t] of this.techniquesById) {
      if (!t.is_subtechnique || t.parent_id === null) continue;
      const parent = this.techniquesById.get(t.parent_id);
      if (parent) this.techniquesById.set(id, { ...t, display_name: `${parent.name}: ${t.name}` });
    }

    const groupCache = new Map<string, GroupEntry | null>();
    const groupOf = (stix: string): GroupEntry | null => {
      if (groupCache.has(stix)) return groupCache.get(stix) as GroupEntry | null;
      const g = byStix.get(stix);
      const r = g ? attackRef(g) : undefined;
      const entry = g && g.type === 'intrusion-set' && current(g) && r?.external_id ? { id: r.external_id, name: g.name ?? r.external_id, aliases: g.aliases ?? [], url: r.url ?? null } : null;
      groupCache.set(stix, entry);
      return entry;
    };
    for (const rel of uses) {
      const group = groupOf(rel.source_ref as string);
      const target = byStix.get(rel.target_ref as string);
      const tid = target && target.type === 'attack-pattern' && current(target) ? attackRef(target)?.external_id : undefined;
      if (!group || !tid) continue;
      const list = this.groupsByTechnique.get(tid) ?? [];
      if (!list.some((g) => g.id === group.id)) list.push(group);
      this.groupsByTechnique.set(tid, list);
    }
    for (const list of this.groupsByTechnique.values()) list.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  technique(id: string): TechniqueEntry | undefined {
    return this.techniquesById.get(id);
  }

  techniques(): IterableIterator<TechniqueEntry> {
    return this.techniquesById.values();
  }

  /** By `TA####` or short name (`credential-access`). */
  tactic(key: string): TacticEntry | undefined {
    return this.tacticsByKey.get(key);
  }

  /** The 14 Enterprise tactics in matrix order. */
  tactics(): readonly TacticEntry[] {
    return this.tacticList;
  }

  /** Groups documented as using the technique itself (not its parent), sorted by G id. */
  groupsOf(techniqueId: string): readonly GroupEntry[] {
    return this.groupsByTechnique.get(techniqueId) ?? [];
  }
}
