/**
 * A token trie of subscription patterns with `*` and `>` branches (spec/bus.md §2).
 * Routing one topic visits O(depth × matching branches) nodes, never every
 * subscription. Values are opaque (a connection, a local subscription…).
 */

class TrieNode<T> {
  readonly literal = new Map<string, TrieNode<T>>();
  star: TrieNode<T> | undefined;
  /** Values whose pattern ends at this node. */
  readonly exact = new Set<T>();
  /** Values whose pattern ends with `>` right below this node. */
  readonly tail = new Set<T>();

  isEmpty(): boolean {
    return this.literal.size === 0 && this.star === undefined && this.exact.size === 0 && this.tail.size === 0;
  }
}

export class SubscriptionIndex<T> {
  private readonly root = new TrieNode<T>();
  private pairs = 0;
  /** Trie nodes visited by the most recent match (a cost gauge for tests and benches). */
  lastVisited = 0;

  /** Number of (pattern, value) pairs held. */
  get size(): number {
    return this.pairs;
  }

  /** Adds `value` under `pattern` (assumed valid). Returns false when it was already there. */
  add(pattern: string, value: T): boolean {
    const tokens = pattern.split('.');
    let node = this.root;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i] as string;
      if (tok === '>') {
        if (node.tail.has(value)) return false;
        node.tail.add(value);
        this.pairs++;
        return true;
      }
      let next: TrieNode<T> | undefined;
      if (tok === '*') {
        next = node.star ??= new TrieNode<T>();
      } else {
        next = node.literal.get(tok);
        if (!next) {
          next = new TrieNode<T>();
          node.literal.set(tok, next);
        }
      }
      node = next;
    }
    if (node.exact.has(value)) return false;
    node.exact.add(value);
    this.pairs++;
    return true;
  }

  /** Removes `value` from `pattern`, pruning empty branches. Returns false when absent. */
  remove(pattern: string, value: T): boolean {
    const tokens = pattern.split('.');
    const path: Array<[TrieNode<T>, string]> = [];
    let node: TrieNode<T> | undefined = this.root;
    for (const tok of tokens) {
      if (tok === '>') {
        if (!node.tail.delete(value)) return false;
        this.pairs--;
        this.prune(path, node);
        return true;
      }
      path.push([node, tok]);
      const next: TrieNode<T> | undefined = tok === '*' ? node.star : node.literal.get(tok);
      if (!next) return false;
      node = next;
    }
    if (!node.exact.delete(value)) return false;
    this.pairs--;
    this.prune(path, node);
    return true;
  }

  private prune(path: Array<[TrieNode<T>, string]>, leaf: TrieNode<T>): void {
    let child = leaf;
    for (let i = path.length - 1; i >= 0 && child.isEmpty(); i--) {
      const [parent, tok] = path[i] as [TrieNode<T>, string];
      if (tok === '*') parent.star = undefined;
      else parent.literal.delete(tok);
      child = parent;
    }
  }

  /**
   * Calls `fn` for each value whose pattern matches `topic`. A value subscribed
   * under several matching patterns is reported once per pattern; use `matchSet`
   * to get distinct values.
   */
  forEachMatch(topic: string, fn: (value: T) => void): void {
    const tokens = topic.split('.');
    this.lastVisited = 0;
    this.walk(this.root, tokens, 0, fn);
  }

  /** The distinct values whose patterns match `topic`. */
  matchSet(topic: string): Set<T> {
    const out = new Set<T>();
    this.forEachMatch(topic, (v) => out.add(v));
    return out;
  }

  private walk(node: TrieNode<T>, tokens: string[], depth: number, fn: (value: T) => void): void {
    this.lastVisited++;
    if (depth === tokens.length) {
      for (const v of node.exact) fn(v);
      return;
    }
    // a `>` below this node matches the one-or-more tokens that remain
    for (const v of node.tail) fn(v);
    const lit = node.literal.get(tokens[depth] as string);
    if (lit) this.walk(lit, tokens, depth + 1, fn);
    if (node.star) this.walk(node.star, tokens, depth + 1, fn);
  }
}
