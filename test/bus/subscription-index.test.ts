import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matches, SubscriptionIndex } from '../../src/bus/index.js';
import { arbPattern, arbTopic } from '../support/arbitraries.js';

describe('SubscriptionIndex', () => {
  it('agrees with matches() on random patterns and topics (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(arbPattern, { maxLength: 40 }), fc.array(arbTopic, { minLength: 1, maxLength: 20 }), (patterns, topics) => {
        const index = new SubscriptionIndex<string>();
        for (const p of patterns) index.add(p, p);
        for (const t of topics) {
          const got = [...index.matchSet(t)].sort();
          const want = patterns.filter((p) => matches(p, t)).sort();
          expect(got).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('still agrees after random removals, and prunes to empty', () => {
    fc.assert(
      fc.property(fc.uniqueArray(arbPattern, { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), arbTopic, (patterns, keep, topic) => {
        const index = new SubscriptionIndex<string>();
        for (const p of patterns) index.add(p, p);
        const kept = patterns.filter((_, i) => keep[i]);
        for (const p of patterns) if (!kept.includes(p)) expect(index.remove(p, p)).toBe(true);
        expect([...index.matchSet(topic)].sort()).toEqual(kept.filter((p) => matches(p, topic)).sort());
        for (const p of kept) index.remove(p, p);
        expect(index.size).toBe(0);
        index.forEachMatch(topic, () => undefined);
        expect(index.lastVisited).toBe(1); // only the root remains
      }),
    );
  });

  it('holds one value under several patterns, and several values under one pattern', () => {
    const index = new SubscriptionIndex<string>();
    expect(index.add('a.>', 'x')).toBe(true);
    expect(index.add('a.>', 'x')).toBe(false);
    index.add('a.*', 'x');
    index.add('a.b', 'y');
    index.add('a.b', 'z');
    const seen: string[] = [];
    index.forEachMatch('a.b', (v) => seen.push(v));
    expect(seen.sort()).toEqual(['x', 'x', 'y', 'z']);
    expect([...index.matchSet('a.b')].sort()).toEqual(['x', 'y', 'z']);
    expect(index.remove('a.b', 'nope')).toBe(false);
    expect(index.remove('q.r', 'x')).toBe(false);
    expect(index.size).toBe(4);
  });

  it('routing cost does not grow with unrelated subscriptions (nodes visited)', () => {
    const index = new SubscriptionIndex<number>();
    index.add('attacker.observed', 0);
    index.add('system.*.health', 0);
    index.forEachMatch('attacker.observed', () => undefined);
    const small = index.lastVisited;
    for (let i = 1; i <= 100_000; i++) index.add(`decky.d${i}.state`, i);
    for (let i = 1; i <= 1000; i++) index.add(`topology.t${i}.>`, i);
    let hits = 0;
    index.forEachMatch('attacker.observed', () => hits++);
    expect(hits).toBe(1);
    expect(index.lastVisited).toBe(small);
    index.forEachMatch('decky.d77.state', () => hits++);
    expect(index.lastVisited).toBeLessThanOrEqual(4);
  });
});
