/**
 * Per-group state of aggregates and sequences (ttp.md §4.4), sized for the threshold:
 * `count` keeps a ring of the last K timestamps (K = the larger of the threshold and the
 * top `confidence_scale` step, ≤ 1000); `count_distinct` a map value → last time, at most K
 * values, oldest evicted first; `sum` a ring of (ts, amount) of ≤ 1024 entries. The window
 * `(t − window, t]` is taken at the current input's time; out-of-order inputs inside it
 * count.
 */

export const SUM_RING = 1024;
const SAMPLES = 5;

export interface WindowValue {
  readonly value: number;
  readonly count: number;
  readonly firstTs: number;
  readonly samples: readonly string[];
}

/** State shared by every kind of group: what the sweep and LRU need. */
export interface GroupState {
  /** Latest input time seen (epoch ms). */
  lastTs: number;
  /** How long the group matters after `lastTs` (ms). */
  readonly ttlMs: number;
  /** The engine's state id of the (rule, signature) the group belongs to. */
  readonly sid: number;
}

/** A ring of (ts, id, amount); `count` and `sum` both use it. */
export class RingGroup implements GroupState {
  lastTs = -Infinity;
  private readonly ts: Float64Array;
  private readonly amounts: Float64Array | null;
  private readonly ids: (string | undefined)[];
  private head = 0;
  private size = 0;
  overflowed = 0;

  constructor(
    readonly sid: number,
    readonly ttlMs: number,
    private readonly capacity: number,
    withAmounts: boolean,
  ) {
    this.ts = new Float64Array(capacity);
    this.amounts = withAmounts ? new Float64Array(capacity) : null;
    this.ids = new Array<string | undefined>(capacity);
  }

  add(ts: number, id: string, amount = 0): void {
    if (this.size === this.capacity) this.overflowed++;
    this.ts[this.head] = ts;
    this.ids[this.head] = id;
    if (this.amounts) this.amounts[this.head] = amount;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    if (ts > this.lastTs) this.lastTs = ts;
  }

  /** Count (or sum) of entries in `(t − windowMs, t]`, the oldest time, and the newest ids. */
  window(t: number, windowMs: number, wantSamples: boolean): WindowValue {
    let count = 0;
    let sum = 0;
    let firstTs = Infinity;
    const samples: string[] = [];
    const lo = t - windowMs;
    for (let k = 0; k < this.size; k++) {
      // newest first
      const i = (this.head - 1 - k + this.capacity) % this.capacity;
      const x = this.ts[i] as number;
      if (x <= lo || x > t) continue;
      count++;
      if (this.amounts) sum += this.amounts[i] as number;
      if (x < firstTs) firstTs = x;
      if (wantSamples && samples.length < SAMPLES) samples.push(this.ids[i] as string);
    }
    return { value: this.amounts ? sum : count, count, firstTs, samples };
  }
}

/** Distinct values with their last time; insertion order is recency (oldest first). */
export class DistinctGroup implements GroupState {
  lastTs = -Infinity;
  private readonly seen = new Map<unknown, { ts: number; id: string }>();

  constructor(
    readonly sid: number,
    readonly ttlMs: number,
    private readonly capacity: number,
  ) {}

  add(ts: number, id: string, value: unknown): void {
    const prev = this.seen.get(value);
    if (prev !== undefined) {
      this.seen.delete(value);
      if (prev.ts > ts) ts = prev.ts;
    }
    this.seen.set(value, { ts, id });
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value);
    if (ts > this.lastTs) this.lastTs = ts;
  }

  window(t: number, windowMs: number, wantSamples: boolean): WindowValue {
    let count = 0;
    let firstTs = Infinity;
    const samples: string[] = [];
    const lo = t - windowMs;
    for (const { ts, id } of this.seen.values()) {
      if (ts <= lo || ts > t) continue;
      count++;
      if (ts < firstTs) firstTs = ts;
      if (wantSamples) samples.push(id);
    }
    return { value: count, count, firstTs, samples: samples.slice(-SAMPLES).reverse() };
  }
}

export interface StepProgress {
  firstTs: number;
  lastTs: number;
  readonly ids: string[];
}

/** A sequence group: the current step, its count, when step 1 began, and per-step samples. */
export class SequenceGroup implements GroupState {
  lastTs: number;
  step = 0;
  count = 0;
  readonly steps: StepProgress[] = [];

  constructor(
    readonly sid: number,
    readonly ttlMs: number,
    readonly startedAt: number,
  ) {
    this.lastTs = startedAt;
  }

  /** Counts the input toward the current step; returns true when that step completed. */
  advance(ts: number, id: string, times: number): boolean {
    const p = this.steps[this.step] ?? { firstTs: ts, lastTs: ts, ids: [] };
    this.steps[this.step] = p;
    if (ts < p.firstTs) p.firstTs = ts;
    if (ts > p.lastTs) p.lastTs = ts;
    if (p.ids.length < SAMPLES) p.ids.push(id);
    if (ts > this.lastTs) this.lastTs = ts;
    this.count++;
    if (this.count < times) return false;
    this.step++;
    this.count = 0;
    return true;
  }
}
