/** analysis.md §12: defaults, and a bad value fails naming its variable. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

const load = (env: Record<string, string>) => loadConfig({ env: { DECNET_HOME: '/nonexistent-decnet-home', ...env } }).analysis;

describe('analysis settings', () => {
  it('has the defaults of analysis.md §12', () => {
    expect(load({})).toEqual({ batch: 500, correlatePollSecs: 5, internalDeckyPrefix: 'decnet-', traversalMinDeckies: 2, behaviorIntervalSecs: 30, scoredMinIntervalSecs: 30, reuseMinTargets: 2, reuseAcrossPrincipals: false });
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => load({ DECNET_REUSE_MIN_TARGETS: '1' })).toThrow(/DECNET_REUSE_MIN_TARGETS/);
    expect(() => load({ DECNET_REUSE_ACROSS_PRINCIPALS: 'maybe' })).toThrow(/DECNET_REUSE_ACROSS_PRINCIPALS/);
    expect(() => load({ DECNET_ANALYSIS_BATCH: '0' })).toThrow(/DECNET_ANALYSIS_BATCH/);
    expect(() => load({ DECNET_CORRELATE_POLL_SECS: 'soon' })).toThrow(/DECNET_CORRELATE_POLL_SECS/);
    expect(() => load({ DECNET_INTERNAL_DECKY_PREFIX: ' ' })).toThrow(/DECNET_INTERNAL_DECKY_PREFIX/);
    expect(load({ DECNET_REUSE_ACROSS_PRINCIPALS: 'true', DECNET_PROFILE_BEHAVIOR_INTERVAL_SECS: '0' })).toMatchObject({ reuseAcrossPrincipals: true, behaviorIntervalSecs: 0 });
  });
});
