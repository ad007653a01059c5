/**
 * The engine (ttp.md §4): pure and synchronous with respect to its index, its state and the
 * injected clock — no I/O, timers or awaits. The same index, inputs in the same order and
 * clock give the same tags. Windows use input time; the clock only decides operational
 * expiry (a rule disabled or clipped until a time). Without a clock, engine time (the
 * highest input time seen) stands in.
 *
 * Per input: refuse a seen id; for each rule indexed under the kind, evaluate its condition
 * with selections memoised per input; single-input rules fire on it, aggregates add the
 * input to its group and fire at the threshold, sequences advance their group and fire on
 * the last step. Tags come out in rule order, then emit order.
 */
import { canonicalJson } from '../inputs/ids.js';
import type { Input } from '../inputs/input.js';
import type { AggregateView, MatchContext } from '../matchers.js';
import type { CompiledRule, SelectionEval } from '../rule.js';
import { DistinctGroup, RingGroup, SequenceGroup, SUM_RING, type GroupState } from './groups.js';
import { EmitBuilder, type FireDetail } from './emit.js';
import { EMPTY_INDEX, type IndexedRule, type RuleIndex } from './rule-index.js';
import { DEFAULT_MAX_GROUPS, DEFAULT_SEEN_MAX, LruMap, SeenIds } from './state.js';
import { isoMs, type Tag } from './tags.js';
import { groupKeyOf, groupKeyText } from './keys.js';

export interface EngineOptions {
  /** Decides operational expiry only (§4.1); default: engine time. */
  readonly clock?: { now(): number };
  readonly maxGroups?: number;
  readonly seenMax?: number;
  /** Evaluations between sweeps of expired state. */
  readonly sweepEvery?: number;
  /** Skip rules their gate rules out (default true; false evaluates every rule, for checking gates). */
  readonly gates?: boolean;
}

export interface EngineStats {
  inputs: number;
  duplicates: number;
  tags: number;
  suppressed: number;
  below_floor: number;
  state_groups: number;
  state_evicted: number;
  suppress_records: number;
  seen_ids: number;
  rules_active: number;
  sum_overflow: number;
}

export interface Engine {
  evaluate(input: Input): Tag[];
  warm(input: Input): void;
  swap(index: RuleIndex): void;
  stats(): EngineStats;
}

const NO_TAGS: Tag[] = [];
const DEFAULT_SWEEP = 10_000;

/** count_distinct compares values as canonical JSON (§4.4); primitives are their own key. */
function distinctKey(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? canonicalJson(v) : v;
}

export class TtpEngine implements Engine {
  private index: RuleIndex = EMPTY_INDEX;
  private readonly groups: LruMap<GroupState>;
  private readonly seen: SeenIds;
  private readonly emitter: EmitBuilder;
  private readonly ctx: MatchContext = { input: undefined as unknown as Input, agg: null };
  private memo: Int8Array = new Int8Array(0);
  /** Per position in a kind plan: the epoch at which the current input's values allowed it. */
  private allowed: Uint32Array = new Uint32Array(0);
  private epoch = 0;
  private current: CompiledRule | null = null;
  private engineTime = -Infinity;
  private sinceSweep = 0;
  /** rule id → its state signature and state id; a new signature gets a new id (fresh state). */
  private readonly sids = new Map<string, { sig: string; sid: number }>();
  private nextSid = 1;
  private readonly counters = { inputs: 0, duplicates: 0, tags: 0, sum_overflow: 0 };

  /** The memoised selection evaluator of the current rule (one closure for the engine's life). */
  private readonly sel: SelectionEval = (i) => {
    const m = this.memo[i];
    if (m !== 0) return m === 1;
    const r = (this.current as CompiledRule).selections[i] as (ctx: MatchContext) => boolean;
    const v = r(this.ctx);
    this.memo[i] = v ? 1 : 2;
    return v;
  };

  constructor(
    index: RuleIndex = EMPTY_INDEX,
    private readonly opts: EngineOptions = {},
  ) {
    this.groups = new LruMap(opts.maxGroups ?? DEFAULT_MAX_GROUPS);
    this.seen = new SeenIds(opts.seenMax ?? DEFAULT_SEEN_MAX);
    this.emitter = new EmitBuilder(opts.maxGroups ?? DEFAULT_MAX_GROUPS);
    this.swap(index);
  }

  /** Replaces the index; takes effect at the next evaluate. Rules with a new state signature start empty. */
  swap(index: RuleIndex): void {
    const dead = new Set<number>();
    for (const { rule } of index.rules) {
      const prev = this.sids.get(rule.def.id);
      if (prev !== undefined && prev.sig === rule.def.stateSignature) continue;
      if (prev !== undefined) dead.add(prev.sid);
      this.sids.set(rule.def.id, { sig: rule.def.stateSignature, sid: this.nextSid++ });
    }
    if (dead.size > 0) this.groups.sweep((g) => dead.has(g.sid));
    this.emitter.retain(index);
    if (index.maxSelections > this.memo.length) this.memo = new Int8Array(index.maxSelections);
    const widest = Math.max(0, ...[...index.plans.values()].map((p) => p.rules.length));
    if (widest > this.allowed.length) this.allowed = new Uint32Array(widest);
    this.index = index;
  }

  evaluate(input: Input): Tag[] {
    return this.run(input, true);
  }

  warm(input: Input): void {
    this.run(input, false);
  }

  stats(): EngineStats {
    const e = this.emitter.counters;
    return {
      ...this.counters,
      suppressed: e.suppressed,
      below_floor: e.below_floor,
      state_groups: this.groups.size,
      state_evicted: this.groups.evicted + this.emitter.evicted,
      suppress_records: this.emitter.size,
      seen_ids: this.seen.size,
      rules_active: this.index.rules.length,
    };
  }

  private now(): number {
    return this.opts.clock ? this.opts.clock.now() : this.engineTime;
  }

  private run(input: Input, emit: boolean): Tag[] {
    this.counters.inputs++;
    if (this.seen.checkAndAdd(input.id, input.ts > this.engineTime ? input.ts : this.engineTime)) {
      this.counters.duplicates++;
      return NO_TAGS;
    }
    if (input.ts > this.engineTime) this.engineTime = input.ts;
    if (++this.sinceSweep >= (this.opts.sweepEvery ?? DEFAULT_SWEEP)) this.sweep();
    const plan = this.index.plans.get(input.kind);
    if (plan === undefined) return NO_TAGS;
    this.ctx.input = input;
    // mark the gated rules this input's values allow (one lookup per value, not per rule)
    if (this.epoch === 0xffffffff) {
      this.allowed.fill(0);
      this.epoch = 0;
    }
    const epoch = ++this.epoch;
    const gated = this.opts.gates !== false;
    const lookups = plan.lookups;
    for (let l = 0; l < lookups.length; l++) {
      const { field, byValue } = lookups[l] as (typeof lookups)[number];
      const v = input[field];
      if (Array.isArray(v)) {
        for (const el of v) {
          const hit = byValue.get(el);
          if (hit !== undefined) for (const r of hit) this.allowed[r] = epoch;
        }
      } else if (v !== undefined && v !== null) {
        const hit = byValue.get(v);
        if (hit !== undefined) for (const r of hit) this.allowed[r] = epoch;
      }
    }
    let out: Tag[] | null = null;
    const now = plan.hasSettings ? this.now() : 0;
    const rules = plan.rules;
    const gates = plan.gates;
    const textGates = plan.textGates;
    for (let r = 0; r < rules.length; r++) {
      if (gated && gates[r] !== null && this.allowed[r] !== epoch) {
        const text = textGates[r];
        if (text === null || text === undefined || !text(input)) continue;
      }
      const ir = rules[r] as IndexedRule;
      const s = ir.setting;
      if (s !== null && s.state === 'disabled' && (s.expires_at === null || s.expires_at === undefined || now < s.expires_at)) continue;
      const rule = ir.rule;
      this.current = rule;
      this.memo.fill(0, 0, rule.selections.length);
      this.ctx.agg = null;
      const detail = rule.def.aggregate ? this.aggregate(rule, input) : rule.def.sequence ? this.sequence(rule, input) : rule.condition !== null && rule.condition(this.sel) ? SINGLE : null;
      if (detail === null) continue;
      const tags = this.emitter.fire(ir, input, detail, this.sel, this.ctx, now, emit);
      if (tags !== null) (out ??= []).push(...tags);
    }
    this.current = null;
    if (out === null) return NO_TAGS;
    this.counters.tags += out.length;
    return out;
  }

  private sid(rule: CompiledRule): number {
    return (this.sids.get(rule.def.id) as { sid: number }).sid;
  }

  private aggregate(rule: CompiledRule, input: Input): FireDetail | null {
    const a = rule.def.aggregate;
    if (a === null || rule.condition === null || !rule.condition(this.sel)) return null;
    const keyText = groupKeyText(input, a.by);
    if (keyText === null) return null;
    let value: unknown = null;
    if (a.function !== 'count') {
      value = input[a.field as string];
      if (value === undefined || value === null) return null;
    }
    const sid = this.sid(rule);
    let g = this.groups.touch(sid, keyText) as RingGroup | DistinctGroup | undefined;
    const t = input.ts;
    if (g !== undefined && t - g.lastTs > a.windowMs) g = undefined; // expired on touch
    if (g === undefined) {
      const kCap = rule.aggregateCapacity;
      g = a.function === 'count_distinct' ? new DistinctGroup(sid, a.windowMs, kCap) : a.function === 'sum' ? new RingGroup(sid, a.windowMs, SUM_RING, true) : new RingGroup(sid, a.windowMs, kCap, false);
      this.groups.set(sid, keyText, g);
    }
    if (g instanceof DistinctGroup) g.add(t, input.id, distinctKey(value));
    else {
      const before = g.overflowed;
      g.add(t, input.id, typeof value === 'number' && Number.isFinite(value) ? value : 0);
      this.counters.sum_overflow += a.function === 'sum' ? g.overflowed - before : 0;
    }
    const w = g.window(t, a.windowMs, false);
    const reached = a.threshold.op === 'gte' ? w.value >= a.threshold.value : w.value > a.threshold.value;
    if (!reached) return null;
    const view: AggregateView = { value: w.value, count: w.count, first_ts: w.firstTs };
    this.ctx.agg = view;
    const group = g;
    return {
      groupText: keyText,
      groupKey: () => groupKeyOf(input, a.by),
      agg: view,
      evidence: () => ({ aggregate: { function: a.function, value: w.value, window_s: a.windowMs / 1000, first_ts: isoMs(w.firstTs), sample_input_ids: group.window(t, a.windowMs, true).samples } }),
    };
  }

  private sequence(rule: CompiledRule, input: Input): FireDetail | null {
    const s = rule.def.sequence;
    if (s === null || (rule.condition !== null && !rule.condition(this.sel))) return null;
    const keyText = groupKeyText(input, s.by);
    if (keyText === null) return null;
    const sid = this.sid(rule);
    const t = input.ts;
    let g = this.groups.touch(sid, keyText) as SequenceGroup | undefined;
    if (g !== undefined && t - g.startedAt > s.withinMs) {
      this.groups.delete(sid, keyText); // restart: the input is tried against step 1
      g = undefined;
    }
    const steps = rule.steps;
    if (g === undefined) {
      if (!(steps[0] as (sel: SelectionEval) => boolean)(this.sel)) return null;
      g = new SequenceGroup(sid, s.withinMs, t);
      this.groups.set(sid, keyText, g);
    } else if (!(steps[g.step] as (sel: SelectionEval) => boolean)(this.sel)) return null;
    g.advance(t, input.id, (s.steps[g.step] as { times: number }).times);
    if (g.step < steps.length) return null;
    this.groups.delete(sid, keyText);
    const done = g;
    return {
      groupText: keyText,
      groupKey: () => groupKeyOf(input, s.by),
      agg: null,
      evidence: () => ({ sequence: { steps: done.steps.map((p, i) => ({ step: i + 1, first_ts: isoMs(p.firstTs), last_ts: isoMs(p.lastTs), sample_input_ids: [...p.ids] })) } }),
    };
  }

  /** Drops groups and suppression records past their window (every `sweepEvery` evaluations). */
  private sweep(): void {
    this.sinceSweep = 0;
    const t = this.engineTime;
    this.groups.sweep((g) => t - g.lastTs > g.ttlMs);
    this.emitter.sweep(t);
  }
}

/** A single-input fire: no group, no aggregate. */
const NO_GROUP: readonly unknown[] = Object.freeze([]);
const SINGLE: FireDetail = Object.freeze({ groupText: '', groupKey: () => NO_GROUP, agg: null, evidence: () => ({}) });
