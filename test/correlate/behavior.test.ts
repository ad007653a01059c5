/** analysis.md §1.3: each class, first match wins; beacon guesses; the statistics. */
import { describe, expect, it } from 'vitest';
import { classify, computeBehavior } from '../../src/correlate/index.js';

/** Rows at these second offsets, on the given services (cycled). */
const rows = (gaps: number[], services = ['ssh']) => {
  let t = 0;
  return [0, ...gaps].map((g, i) => ({ ts: (t += g) * 1000, service: services[i % services.length] as string }));
};

describe('behaviour', () => {
  it('classifies each case of §1.3', () => {
    expect(classify(2, 1, 1, 0)).toBe('unknown');
    expect(classify(5, 1, null, null)).toBe('unknown');
    expect(classify(4, 2, 12, 0.9)).toBe('slow_scan');
    expect(classify(5, 3, 3, 0.9)).toBe('scanning');
    expect(classify(5, 2, 1, 0.9)).toBe('scanning');
    expect(classify(8, 1, 1, 0.1)).toBe('brute_force');
    expect(classify(4, 1, 60, 0.2)).toBe('beaconing');
    expect(classify(6, 1, 2, 0.8)).toBe('interactive');
    expect(classify(4, 1, 2, 0.4)).toBe('mixed');
  });

  it('computes the gap statistics, beacon fields and tool guesses in order, de-duplicated', () => {
    const b = computeBehavior(rows([60, 60, 60, 60]), ['sqlmap', 'cobalt_strike']);
    expect(b).toMatchObject({ behavior_class: 'beaconing', rows: 5, services: 1, mean_gap_s: 60, median_gap_s: 60, stdev_gap_s: 0, min_gap_s: 60, max_gap_s: 60, cv: 0, duration_s: 240, beacon_interval_s: 60, beacon_jitter_pct: 0 });
    expect(b.tool_guesses).toEqual(['sqlmap', 'cobalt_strike']); // cv 0 is outside every beacon profile
    const cs = computeBehavior(rows([48, 72, 48, 72, 60]));
    expect(cs.behavior_class).toBe('beaconing');
    expect(cs.tool_guesses).toEqual(['cobalt_strike']); // cv 0.18: cobalt_strike's 0.20 ± 0.05, not sliver's 0.30 ± 0.08
    expect(computeBehavior([]).behavior_class).toBe('unknown');
    // out-of-order rows are sorted by time; zero mean has no cv
    expect(computeBehavior([{ ts: 1000, service: 'ssh' }, { ts: 1000, service: 'ssh' }, { ts: 1000, service: 'ssh' }])).toMatchObject({ mean_gap_s: 0, cv: null, behavior_class: 'mixed' });
  });
});
