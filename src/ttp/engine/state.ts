/**
 * Bounded engine state (ttp.md §4.7): an LRU map for groups and suppression records
 * (`DECNET_TTP_STATE_MAX_GROUPS`, least recently used evicted first, evictions counted) and
 * the seen-id filter (`DECNET_TTP_SEEN_MAX`, two rotating generations covering 2 h of
 * engine time).
 */

export const DEFAULT_MAX_GROUPS = 100_000;
export const DEFAULT_SEEN_MAX = 200_000;
/** A generation of seen ids spans this much engine time; two are kept (2 h). */
export const SEEN_GENERATION_MS = 3_600_000;

interface Entry<V> {
  readonly space: number;
  readonly key: string;
  value: V;
  usedAt: number;
}

/**
 * Keyed by (space, key): a space per rule state id, so lookups use the input's own strings
 * (`attacker_ip`, whose hash V8 keeps) rather than a concatenated key built per input. One
 * insertion-ordered Set of entries is the global recency order the bound evicts from.
 */
export class LruMap<V> {
  private readonly spaces = new Map<number, Map<string, Entry<V>>>();
  private readonly order = new Set<Entry<V>>();
  private ops = 0;
  /** An entry moved to the newest end within this many operations is not moved again (see `touch`). */
  private readonly slack: number;
  evicted = 0;

  constructor(readonly capacity: number) {
    this.slack = Math.max(1, Math.floor(capacity / 4));
  }

  get size(): number {
    return this.order.size;
  }

  /**
   * Returns the value and marks it recently used. Re-inserting on every touch costs a Set
   * delete and add per input per rule; an entry moved fewer than capacity/4 operations ago
   * is still among the newest quarter, so it is left in place (approximate LRU: it survives
   * at least three quarters of the capacity in new entries).
   */
  touch(space: number, key: string): V | undefined {
    const e = this.spaces.get(space)?.get(key);
    if (e === undefined) return undefined;
    const now = ++this.ops;
    if (now - e.usedAt > this.slack) {
      this.order.delete(e);
      this.order.add(e);
      e.usedAt = now;
    }
    return e.value;
  }

  set(space: number, key: string, value: V): void {
    let m = this.spaces.get(space);
    if (m === undefined) this.spaces.set(space, (m = new Map()));
    const old = m.get(key);
    if (old !== undefined) this.order.delete(old);
    const e: Entry<V> = { space, key, value, usedAt: ++this.ops };
    m.set(key, e);
    this.order.add(e);
    while (this.order.size > this.capacity) {
      this.remove(this.order.values().next().value as Entry<V>);
      this.evicted++;
    }
  }

  delete(space: number, key: string): void {
    const e = this.spaces.get(space)?.get(key);
    if (e !== undefined) this.remove(e);
  }

  private remove(e: Entry<V>): void {
    this.order.delete(e);
    const m = this.spaces.get(e.space);
    m?.delete(e.key);
    if (m?.size === 0) this.spaces.delete(e.space);
  }

  /** Removes every entry the predicate selects; returns how many. */
  sweep(drop: (value: V) => boolean): number {
    let n = 0;
    for (const e of this.order) {
      if (drop(e.value)) {
        this.remove(e);
        n++;
      }
    }
    return n;
  }
}

/** Ids already evaluated: the engine never evaluates an id twice (§4.7). */
export class SeenIds {
  private current = new Set<string>();
  private previous = new Set<string>();
  private startedAt = -Infinity;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** True when `id` was seen; otherwise records it at engine time `now`. */
  checkAndAdd(id: string, now: number): boolean {
    if (this.current.has(id) || (this.previous.size > 0 && this.previous.has(id))) return true;
    if (this.startedAt === -Infinity) this.startedAt = now;
    if (now - this.startedAt >= SEEN_GENERATION_MS || this.current.size >= this.max / 2) {
      this.previous = this.current;
      this.current = new Set();
      this.startedAt = now;
    }
    this.current.add(id);
    return false;
  }
}
