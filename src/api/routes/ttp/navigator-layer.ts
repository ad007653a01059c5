/**
 * ATT&CK Navigator layers, format 4.5 (ttp.md §8.3): the schema (the fields of MITRE's
 * layer format 4.5, strict, so a misspelt key fails), the builder of DECNET's export, and
 * the check of an export against the catalogue. An export that fails either is a bug, never
 * sent.
 */
import { z } from 'zod';
import type { Catalog } from '../../../ttp/index.js';

const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/);
const metadataItem = z.union([z.strictObject({ name: z.string(), value: z.string() }), z.strictObject({ divider: z.literal(true) })]);
const link = z.union([z.strictObject({ label: z.string(), url: z.url() }), z.strictObject({ divider: z.literal(true) })]);

export const layerTechnique = z.strictObject({
  techniqueID: z.string().regex(/^T\d{4}(?:\.\d{3})?$/),
  tactic: z
    .string()
    .regex(/^[a-z]+(?:-[a-z]+)*$/)
    .optional(),
  score: z.number().optional(),
  color: z.union([hexColor, z.literal('')]).optional(),
  comment: z.string().optional(),
  enabled: z.boolean().optional(),
  metadata: z.array(metadataItem).optional(),
  links: z.array(link).optional(),
  showSubtechniques: z.boolean().optional(),
});

export const navigatorLayerSchema = z.strictObject({
  name: z.string().min(1),
  versions: z.strictObject({ attack: z.string().optional(), navigator: z.string().regex(/^\d+\.\d+\.\d+$/), layer: z.literal('4.5') }),
  domain: z.enum(['enterprise-attack', 'mobile-attack', 'ics-attack']),
  description: z.string().optional(),
  filters: z.strictObject({ platforms: z.array(z.string()) }).optional(),
  sorting: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
  layout: z
    .strictObject({
      layout: z.enum(['side', 'flat', 'mini']).optional(),
      aggregateFunction: z.enum(['average', 'min', 'max', 'sum']).optional(),
      showID: z.boolean().optional(),
      showName: z.boolean().optional(),
      showAggregateScores: z.boolean().optional(),
      countUnscored: z.boolean().optional(),
      expandedSubtechniques: z.enum(['none', 'annotated', 'all']).optional(),
    })
    .optional(),
  hideDisabled: z.boolean().optional(),
  techniques: z.array(layerTechnique),
  gradient: z.strictObject({ colors: z.array(hexColor).min(2), minValue: z.number(), maxValue: z.number() }).optional(),
  legendItems: z.array(z.strictObject({ label: z.string(), color: hexColor })).optional(),
  metadata: z.array(metadataItem).optional(),
  links: z.array(link).optional(),
  showTacticRowBackground: z.boolean().optional(),
  tacticRowBackground: hexColor.optional(),
  selectTechniquesAcrossTactics: z.boolean().optional(),
  selectSubtechniquesWithParent: z.boolean().optional(),
  selectVisibleTechniques: z.boolean().optional(),
});
export type NavigatorLayer = z.infer<typeof navigatorLayerSchema>;
type LayerTechnique = z.infer<typeof layerTechnique>;

/** The Navigator release the layers are written for. */
export const NAVIGATOR_VERSION = '5.2.0';

/** One tagged (technique or sub-technique, tactic) of the export. */
export interface LayerCell {
  /** As tagged: the sub-technique where there is one. */
  readonly techniqueId: string;
  readonly parentId: string;
  readonly tacticId: string;
  readonly tagCount: number;
  readonly ruleIds: readonly string[];
  readonly lastSeen: string;
  readonly maxConfidence: number;
}

export interface LayerInput {
  /** What the layer covers, e.g. `attacker 198.51.100.23`. */
  readonly title: string;
  /** `YYYY-MM-DD` bounds of the period, when known. */
  readonly from: string | null;
  readonly to: string | null;
  readonly cells: readonly LayerCell[];
}

function period(from: string | null, to: string | null): string {
  if (from !== null && to !== null) return `, ${from} to ${to}`;
  if (from !== null) return `, from ${from}`;
  return to !== null ? `, until ${to}` : '';
}

/** `2026-05-01T12:00:00.000000Z` → `2026-05-01T12:00:00Z`. */
const seconds = (iso: string): string => `${iso.slice(0, 19)}Z`;

export function buildLayer(input: LayerInput, catalog: Catalog): NavigatorLayer {
  const shortname = (tacticId: string): string => catalog.tactic(tacticId)?.shortname ?? tacticId;
  const entries = new Map<string, LayerTechnique>();
  for (const c of input.cells) {
    const rules = [...c.ruleIds].sort();
    entries.set(`${c.techniqueId}|${c.tacticId}`, {
      techniqueID: c.techniqueId,
      tactic: shortname(c.tacticId),
      score: c.tagCount,
      enabled: true,
      comment: `${c.tagCount} ${c.tagCount === 1 ? 'tag' : 'tags'} by ${rules.join(', ')}; last seen ${seconds(c.lastSeen)}`,
      metadata: [{ name: 'max_confidence', value: String(c.maxConfidence) }],
    });
  }
  // the parent of a tagged sub-technique shows it expanded
  for (const c of input.cells) {
    if (c.techniqueId === c.parentId) continue;
    const key = `${c.parentId}|${c.tacticId}`;
    entries.set(key, { ...(entries.get(key) ?? { techniqueID: c.parentId, tactic: shortname(c.tacticId) }), showSubtechniques: true });
  }
  const maxScore = Math.max(1, ...input.cells.map((c) => c.tagCount));
  return {
    name: `DECNET — ${input.title}`,
    versions: { attack: catalog.version.split('.')[0] as string, navigator: NAVIGATOR_VERSION, layer: '4.5' },
    domain: 'enterprise-attack',
    description: `Techniques observed by DECNET${period(input.from, input.to)}. ATT&CK® ${catalog.version}, © The MITRE Corporation.`,
    sorting: 3,
    layout: { layout: 'side', showID: true, expandedSubtechniques: 'annotated' },
    gradient: { colors: ['#fff7bc', '#fe9929', '#cc4c02'], minValue: 0, maxValue: maxScore },
    techniques: [...entries.values()],
  };
}

/** What in a layer the catalogue does not back: unknown or retired techniques, tactics they do not belong to. */
export function catalogProblems(layer: NavigatorLayer, catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const t of layer.techniques) {
    const entry = catalog.technique(t.techniqueID);
    if (!entry || entry.revoked || entry.deprecated) {
      problems.push(`${t.techniqueID} is not a current technique of ATT&CK ${catalog.version}`);
      continue;
    }
    const tactic = t.tactic === undefined ? undefined : catalog.tactic(t.tactic);
    if (t.tactic !== undefined && (!tactic || !entry.tactic_ids.includes(tactic.id))) problems.push(`${t.techniqueID} is not in the tactic ${t.tactic}`);
  }
  return problems;
}

/** Validates an export by the schema and against the catalogue; throws on either failure. */
export function checkedLayer(layer: NavigatorLayer, catalog: Catalog): NavigatorLayer {
  const parsed = navigatorLayerSchema.parse(layer);
  const problems = catalogProblems(parsed, catalog);
  if (problems.length > 0) throw new Error(`the Navigator export does not match the catalogue: ${problems.join('; ')}`);
  return parsed;
}
