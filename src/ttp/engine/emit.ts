/**
 * From a fire to tags (ttp.md §4.5): for each emit in order — skip it if its `when` fails
 * or an earlier emit of its technique was taken; confidence = base, then
 * `confidence_scale`, then the clip (downward only); drop it below the floor; apply
 * suppression keyed by (rule, technique, group) with escalation: a higher confidence than
 * the last one for that key goes out anyway, once per step.
 */
import type { Input } from '../inputs/input.js';
import type { AggregateView, MatchContext } from '../matchers.js';
import { CONFIDENCE_FLOOR, type EmitDef, type SelectionEval } from '../rule.js';
import type { IndexedRule, RuleIndex } from './rule-index.js';
import { groupKeyTextWithNulls } from './keys.js';
import { LruMap } from './state.js';
import { buildEvidence, subjectOf, tagId, TAG_ATTACK_VERSION, type AggregateEvidence, type SequenceStepEvidence, type Tag } from './tags.js';

export interface FireDetail {
  /** The aggregate or sequence key as text (`''` for a single-input rule), for suppression. */
  readonly groupText: string;
  /** The key values (`[]` for a single-input rule); built only for a tag. */
  readonly groupKey: () => readonly unknown[];
  readonly agg: AggregateView | null;
  /** Aggregate or sequence evidence, built fresh and only for a tag (most fires are suppressed). */
  readonly evidence: () => { aggregate?: AggregateEvidence; sequence?: { steps: SequenceStepEvidence[] } };
}

interface SuppressRecord {
  at: number;
  confidence: number;
  readonly windowMs: number;
  readonly sid: number;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function scaled(e: EmitDef, input: Input, agg: AggregateView | null): number {
  const s = e.scale;
  if (s === null) return e.confidence;
  const raw = s.by.startsWith('aggregate.') ? (agg === null ? undefined : agg[s.by.slice('aggregate.'.length) as keyof AggregateView]) : input[s.by];
  const v = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
  if ('ratio' in s) return e.confidence * Math.min(1, Math.max(0, (v ?? 0) / s.ratio));
  let c = e.confidence;
  if (v !== null) for (const st of s.steps) if (v >= st.gte) c = st.confidence;
  return c;
}

export class EmitBuilder {
  private readonly records: LruMap<SuppressRecord>;
  private readonly sids = new Map<string, { sig: string; sid: number }>();
  private nextSid = 1;
  readonly counters = { suppressed: 0, below_floor: 0 };

  constructor(capacity: number) {
    this.records = new LruMap(capacity);
  }

  get size(): number {
    return this.records.size;
  }
  get evicted(): number {
    return this.records.evicted;
  }

  /** Keeps suppression records of rules whose technique set and `suppress` are unchanged. */
  retain(index: RuleIndex): void {
    const dead = new Set<number>();
    for (const { rule } of index.rules) {
      const sig = `${rule.def.suppressSignature}:${rule.def.emits.map((e) => e.technique).join(',')}`;
      const prev = this.sids.get(rule.def.id);
      if (prev !== undefined && prev.sig === sig) continue;
      if (prev !== undefined) dead.add(prev.sid);
      this.sids.set(rule.def.id, { sig, sid: this.nextSid++ });
    }
    if (dead.size > 0) this.records.sweep((r) => dead.has(r.sid));
  }

  sweep(t: number): void {
    this.records.sweep((r) => t - r.at > r.windowMs);
  }

  /** Tags of one fire (null when every emit was skipped, dropped or suppressed, or `emit` is false). */
  fire(ir: IndexedRule, input: Input, detail: FireDetail, sel: SelectionEval, ctx: MatchContext, now: number, emit: boolean): Tag[] | null {
    const rule = ir.rule;
    const def = rule.def;
    const setting = ir.setting;
    const clip = setting !== null && setting.state === 'clipped' && typeof setting.confidence_max === 'number' && (setting.expires_at === null || setting.expires_at === undefined || now < setting.expires_at) ? setting.confidence_max : 1;
    ctx.agg = detail.agg;
    let out: Tag[] | null = null;
    let taken: string[] | null = null;
    for (let i = 0; i < def.emits.length; i++) {
      const e = def.emits[i] as EmitDef;
      if (taken !== null && taken.includes(e.technique)) continue;
      const when = rule.whens[i];
      if (when && !when(sel)) continue;
      (taken ??= []).push(e.technique);
      const confidence = round4(Math.min(scaled(e, input, detail.agg), clip));
      if (confidence < CONFIDENCE_FLOOR) {
        this.counters.below_floor++;
        continue;
      }
      if (def.suppress !== false && this.suppressed(ir, e.technique, input, detail, confidence)) {
        this.counters.suppressed++;
        continue;
      }
      if (!emit) continue;
      const matched = def.selections.filter((_, k) => sel(k)).map((s) => s.name);
      const groupKey = detail.groupKey();
      (out ??= []).push({
        id: tagId(def.id, e.technique, input.id, groupKey),
        rule_id: def.id,
        rule_version: def.version,
        rule_source: rule.source,
        technique: e.technique,
        technique_id: e.techniqueId,
        sub_technique_id: e.subTechniqueId,
        tactic_id: e.tacticId,
        confidence,
        input_kind: input.kind,
        input_id: input.id,
        group_key: groupKey,
        ...subjectOf(input),
        observed_at: input.ts_text,
        evidence: buildEvidence(input, def.evidenceFields, matched, detail.evidence()),
        attack_version: TAG_ATTACK_VERSION,
      });
    }
    return out;
  }

  /** Suppression with escalation; records the emit when it goes out. */
  private suppressed(ir: IndexedRule, technique: string, input: Input, detail: FireDetail, confidence: number): boolean {
    const def = ir.rule.def;
    const s = def.suppress;
    if (s === false) return false;
    let group: string;
    if (s.by !== null) group = groupKeyTextWithNulls(input, s.by);
    else if (def.aggregate !== null || def.sequence !== null) group = detail.groupText;
    else group = input.attacker_ip ?? '';
    const sid = (this.sids.get(def.id) as { sid: number }).sid;
    const key = `${technique}\u0000${group}`;
    const t = input.ts;
    const rec = this.records.touch(sid, key);
    if (rec !== undefined && Math.abs(t - rec.at) < s.windowMs) {
      if (confidence <= rec.confidence) return true;
      rec.confidence = confidence; // escalation: a higher step goes out once
      rec.at = t;
      return false;
    }
    this.records.set(sid, key, { at: t, confidence, windowMs: s.windowMs, sid });
    return false;
  }
}
