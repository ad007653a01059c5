/**
 * Checks `emits` (ttp.md §2.7, §10): each technique resolves in the catalogue and is
 * current, its tactic exists and the technique belongs to it, confidences are in range and
 * above the write floor, `when` is a condition over the selections, scales rise, and the
 * ordered fallback of one technique has no unreachable entry.
 */
import type { Catalog } from '../catalog/index.js';
import type { InputKind } from '../inputs/kinds.js';
import type { ProblemList } from '../problems.js';
import type { EmitDoc } from '../rule-schema.js';
import { CONFIDENCE_FLOOR, type EmitDef, type RuleStatus, type ScaleDef } from '../rule.js';
import { checkCondition } from './detection.js';
import { lookupField } from './fields.js';

const TECHNIQUE_ID = /^T\d{4}(?:\.\d{3})?$/;

function checkScale(e: EmitDoc, i: number, kinds: readonly InputKind[], hasAggregate: boolean, problems: ProblemList): { ok: boolean; scale: ScaleDef | null } {
  const s = e.confidence_scale;
  if (s === undefined) return { ok: true, scale: null };
  const path = ['emits', i, 'confidence_scale'];
  let ok = true;
  const f = lookupField(s.by, kinds, hasAggregate);
  if (!f.ok || (f.type !== 'number' && f.type !== 'scalar' && f.type !== 'any')) {
    problems.add('unknown_field_path', [...path, 'by'], `\`${s.by}\` is not a numeric field of this rule`, f.ok ? 'scale by a numeric field or `aggregate.value`' : f.hint);
    ok = false;
  }
  if ((s.steps === undefined) === (s.ratio === undefined)) {
    problems.add('bad_scale', path, s.steps ? 'both `steps` and `ratio`' : 'neither `steps` nor `ratio`', 'write `steps: [{gte: N, confidence: C}, …]` or `ratio: M`');
    return { ok: false, scale: null };
  }
  if (s.ratio !== undefined) {
    if (!(s.ratio > 0)) {
      problems.add('bad_scale', [...path, 'ratio'], `ratio ${s.ratio}`, 'a ratio is a positive number (the value at which the base confidence is reached)');
      ok = false;
    }
    return { ok, scale: ok ? { by: s.by, ratio: s.ratio } : null };
  }
  const steps = s.steps ?? [];
  let prev: { gte: number; confidence: number } | null = null;
  steps.forEach((st, k) => {
    const bad = st.confidence < e.confidence || st.confidence > 1 || (prev !== null && (st.gte <= prev.gte || st.confidence <= prev.confidence));
    if (bad) {
      problems.add('bad_scale', [...path, 'steps', k], `step {gte: ${st.gte}, confidence: ${st.confidence}} does not rise`, `steps must rise in both values, none below the base ${e.confidence} or above 1`);
      ok = false;
    }
    prev = st;
  });
  if (steps.length === 0) {
    problems.add('bad_scale', [...path, 'steps'], 'no steps', 'list at least one `{gte, confidence}` step');
    ok = false;
  }
  return { ok, scale: ok ? { by: s.by, steps } : null };
}

export function checkEmits(emits: readonly EmitDoc[], status: RuleStatus, kinds: readonly InputKind[], hasAggregate: boolean, names: readonly string[], catalog: Catalog, problems: ProblemList, used: Set<number>): EmitDef[] | null {
  if (emits.length === 0) {
    problems.add('missing_field', ['emits'], 'a rule emits at least one technique', 'add `emits: [{technique: T…, tactic: TA…, confidence: 0.8}]`');
    return null;
  }
  let ok = true;
  const out: EmitDef[] = [];
  const seen = new Map<string, { index: number; hasWhen: boolean }[]>();
  emits.forEach((e, i) => {
    const path = ['emits', i];
    let good = true;
    const fail = (...args: Parameters<ProblemList['add']>): void => {
      problems.add(...args);
      good = false;
    };
    const t = TECHNIQUE_ID.test(e.technique) ? catalog.technique(e.technique) : undefined;
    if (t === undefined) fail('unknown_technique', [...path, 'technique'], `\`${e.technique}\` is not in ATT&CK ${catalog.version}`, TECHNIQUE_ID.test(e.technique) ? 'look it up at https://attack.mitre.org/techniques/' : 'write an id like `T1110` or `T1003.008`');
    else if (t.revoked) {
      const r = t.replaced_by ? catalog.technique(t.replaced_by) : undefined;
      fail('revoked_technique', [...path, 'technique'], `\`${t.id}\` (${t.name}) is revoked`, r ? `use \`${r.id}\` (${r.display_name})` : 'pick its replacement in ATT&CK');
    } else if (t.deprecated) fail('deprecated_technique', [...path, 'technique'], `\`${t.id}\` (${t.name}) is deprecated with no replacement`, 'map the behaviour to a current technique');
    const tactic = catalog.tactic(e.tactic);
    if (tactic === undefined) fail('unknown_tactic', [...path, 'tactic'], `\`${e.tactic}\` is not an Enterprise tactic`, `use one of ${catalog.tactics().map((x) => `${x.id} (${x.shortname})`).join(', ')}`);
    else if (t !== undefined && !t.revoked && !t.deprecated && !t.tactic_ids.includes(tactic.id)) {
      const homes = t.tactic_ids.map((id) => catalog.tactic(id)).filter((x) => x !== undefined);
      fail('tactic_mismatch', [...path, 'tactic'], `\`${t.id}\` (${t.name}) is not in ${tactic.name}`, `it belongs to ${homes.map((h) => `${h.name} (\`${h.id}\`)`).join(', ')}`);
    }
    if (!(e.confidence >= 0 && e.confidence <= 1)) fail('confidence_range', [...path, 'confidence'], `confidence ${e.confidence}`, 'a number in [0, 1]');
    else if (status !== 'deprecated' && e.confidence < CONFIDENCE_FLOOR) fail('below_floor', [...path, 'confidence'], `${e.confidence} is below the write floor ${CONFIDENCE_FLOOR}`, 'raise it or deprecate the rule');
    let when = null;
    if (e.when !== undefined) {
      const c = checkCondition(e.when, [...path, 'when'], names, problems);
      if (c === null) good = false;
      else {
        when = c.expr;
        for (const u of c.used) used.add(u);
      }
    }
    const sc = checkScale(e, i, kinds, hasAggregate, problems);
    if (!sc.ok) good = false;
    const list = seen.get(e.technique) ?? [];
    const open = list.find((x) => !x.hasWhen);
    if (open !== undefined) {
      if (e.when === undefined) fail('duplicate_emit', [...path, 'technique'], `\`${e.technique}\` twice without \`when\``, `give emit ${open.index} a \`when\`, or remove one`);
      else fail('unreachable_emit', path, `this \`${e.technique}\` can never be taken: emit ${open.index} has no \`when\``, `give emit ${open.index} a \`when\`, or move this one before it`);
    }
    list.push({ index: i, hasWhen: e.when !== undefined });
    seen.set(e.technique, list);
    if (!good || t === undefined || tactic === undefined) {
      ok = false;
      return;
    }
    const isSub = t.is_subtechnique;
    out.push({ technique: e.technique, techniqueId: isSub ? (t.parent_id as string) : t.id, subTechniqueId: isSub ? t.id : null, tacticId: tactic.id, confidence: e.confidence, when, scale: sc.scale });
  });
  return ok ? out : null;
}
