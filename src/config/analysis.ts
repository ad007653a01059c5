/**
 * The analysis settings `correlate` reads (analysis.md §12). A bad value fails at start
 * naming the variable (eventplane.md §9).
 */
import { readBool, readInt, type Env } from '../bus/index.js';
import { ConfigError } from './errors.js';

export interface AnalysisConfig {
  /** `DECNET_ANALYSIS_BATCH`: rows folded per transaction (500). */
  readonly batch: number;
  /** `DECNET_CORRELATE_POLL_SECS`: the polling fallback of `correlate` (5). */
  readonly correlatePollSecs: number;
  /** `DECNET_INTERNAL_DECKY_PREFIX`: deckies that are the system's own work (`decnet-`). */
  readonly internalDeckyPrefix: string;
  /** `DECNET_TRAVERSAL_MIN_DECKIES` (2). */
  readonly traversalMinDeckies: number;
  /** `DECNET_PROFILE_BEHAVIOR_INTERVAL_SECS` (30; 0 = every batch). */
  readonly behaviorIntervalSecs: number;
  /** `DECNET_SCORED_MIN_INTERVAL_SECS` (30): coalescing of minor `attacker.scored` changes. */
  readonly scoredMinIntervalSecs: number;
  /** `DECNET_REUSE_MIN_TARGETS` (2, at least 2). */
  readonly reuseMinTargets: number;
  /** `DECNET_REUSE_ACROSS_PRINCIPALS` (false): the principal leaves the reuse key. */
  readonly reuseAcrossPrincipals: boolean;
}

export function readAnalysisConfig(env: Env): AnalysisConfig {
  const internalDeckyPrefix = env.DECNET_INTERNAL_DECKY_PREFIX ?? 'decnet-';
  if (internalDeckyPrefix.trim() === '') throw new ConfigError('DECNET_INTERNAL_DECKY_PREFIX', 'must not be empty (every decky would be internal)');
  return {
    batch: readInt(env, 'DECNET_ANALYSIS_BATCH', 500, 1, 10_000),
    correlatePollSecs: readInt(env, 'DECNET_CORRELATE_POLL_SECS', 5, 1, 86_400),
    internalDeckyPrefix,
    traversalMinDeckies: readInt(env, 'DECNET_TRAVERSAL_MIN_DECKIES', 2, 2, 1000),
    behaviorIntervalSecs: readInt(env, 'DECNET_PROFILE_BEHAVIOR_INTERVAL_SECS', 30, 0, 86_400),
    scoredMinIntervalSecs: readInt(env, 'DECNET_SCORED_MIN_INTERVAL_SECS', 30, 0, 86_400),
    reuseMinTargets: readInt(env, 'DECNET_REUSE_MIN_TARGETS', 2, 2, 10_000),
    reuseAcrossPrincipals: readBool(env, 'DECNET_REUSE_ACROSS_PRINCIPALS', false),
  };
}
