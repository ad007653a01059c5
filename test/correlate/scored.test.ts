/**
 * analysis.md §1.4 on the stored summary (src/correlate/scored.ts): `scored_summary`
 * keeps the traversal path as a digest, so a change that only the path shows (deckies
 * reordered by a late row, counts the same) must still count as a change, and a state
 * equal to the one published must not.
 */
import { describe, expect, it } from 'vitest';
import { newAttackerState, type AttackerState } from '../../src/correlate/attacker-state.js';
import { decideScored } from '../../src/correlate/scored.js';
import { at, settings, T0 } from './support.js';

const config = settings();
const later = T0 + config.scoredMinIntervalSecs * 1000;

function traversing(path: string): AttackerState {
  const s = newAttackerState('00000000-0000-4000-8000-000000000001', '198.51.100.7', at(0));
  Object.assign(s, { eventCount: 3, firstSeen: at(1), lastSeen: at(3), deckyCount: 2, serviceCount: 1, isTraversal: true, traversalPath: path, scoredDirty: true });
  return s;
}

describe('the stored attacker.scored summary', () => {
  it('holds no path text, and settles an unchanged state without publishing', () => {
    const s = traversing('decky-01 → decky-02');
    expect(decideScored([s], config, T0)).toHaveLength(1);
    expect(JSON.stringify(s.scoredSummary)).not.toContain('decky-01');
    s.scoredDirty = true;
    expect(decideScored([s], config, later)).toEqual([]);
    expect(s.scoredDirty).toBe(false);
  });

  it('tells a path that changed alone: held back as minor, then published with it', () => {
    const s = traversing('decky-01 → decky-02');
    decideScored([s], config, T0);
    s.traversalPath = 'decky-02 → decky-01';
    s.scoredDirty = true;
    expect(decideScored([s], config, T0 + 1000)).toEqual([]);
    expect(s.scoredDirty).toBe(true);
    expect(decideScored([s], config, later)).toMatchObject([{ traversal_path: 'decky-02 → decky-01', decky_count: 2 }]);
    expect(s.scoredDirty).toBe(false);
  });
});
