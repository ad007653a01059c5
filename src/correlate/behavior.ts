/**
 * An attacker's timing behaviour (analysis.md §1.3), computed over its latest counted
 * rows: the gaps between consecutive rows, a class, and tool guesses from beacon
 * profiles and user-agent tools. Pure: the caller reads the rows.
 */
/** The classes, as `attacker.scored`'s schema lists them. */
export const BEHAVIOR_CLASSES = ['unknown', 'slow_scan', 'scanning', 'brute_force', 'beaconing', 'interactive', 'mixed'] as const;
export type BehaviorClass = (typeof BEHAVIOR_CLASSES)[number];

/** Rows the computation reads per attacker. */
export const BEHAVIOR_WINDOW = 500;

export interface BehaviorSample {
  /** Epoch ms. */
  readonly ts: number;
  /** The row's service, or '' for none. */
  readonly service: string;
}

export interface Behavior {
  readonly behavior_class: BehaviorClass;
  readonly rows: number;
  readonly services: number;
  /** Seconds; null when fewer than two rows. */
  readonly mean_gap_s: number | null;
  readonly median_gap_s: number | null;
  readonly stdev_gap_s: number | null;
  readonly min_gap_s: number | null;
  readonly max_gap_s: number | null;
  /** stdev / mean; null for a zero or missing mean. */
  readonly cv: number | null;
  /** Last minus first row, seconds. */
  readonly duration_s: number;
  readonly beacon_interval_s: number | null;
  readonly beacon_jitter_pct: number | null;
  readonly tool_guesses: string[];
}

interface BeaconProfile {
  readonly tool: string;
  readonly mean: number;
  readonly meanTol: number;
  readonly cv: number;
  readonly cvTol: number;
}

const BEACON_PROFILES: readonly BeaconProfile[] = [
  { tool: 'cobalt_strike', mean: 60, meanTol: 8, cv: 0.2, cvTol: 0.05 },
  { tool: 'sliver', mean: 60, meanTol: 10, cv: 0.3, cvTol: 0.08 },
  { tool: 'havoc', mean: 45, meanTol: 8, cv: 0.1, cvTol: 0.03 },
  { tool: 'mythic', mean: 30, meanTol: 6, cv: 0.15, cvTol: 0.03 },
];

/** Rounds to microseconds' worth of digits, so both dialects store the same JSON. */
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The class of §1.3, first match wins. */
export function classify(n: number, s: number, mean: number | null, cv: number | null): BehaviorClass {
  if (n < 3 || mean === null) return 'unknown';
  if (s >= 2 && mean >= 10 && n >= 4) return 'slow_scan';
  if ((s >= 3 && mean < 10) || (s >= 2 && mean < 2)) return 'scanning';
  if (s === 1 && n >= 8 && mean < 5 && cv !== null && cv < 0.6) return 'brute_force';
  if (cv !== null && cv < 0.35 && mean >= 5 && n >= 4) return 'beaconing';
  if (cv !== null && cv >= 0.5 && mean < 5 && n >= 6) return 'interactive';
  return 'mixed';
}

/**
 * The behaviour of `samples` (any order: sorted here by time, ties keeping the given
 * order, which the caller makes id order). `userAgentTools` are the tools ingest's
 * user-agent fingerprints named, appended after the beacon guesses.
 */
export function computeBehavior(samples: readonly BehaviorSample[], userAgentTools: readonly string[] = []): Behavior {
  const rows = [...samples].sort((a, b) => a.ts - b.ts);
  const services = new Set(rows.map((r) => r.service).filter((s) => s !== '')).size;
  const gaps: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const gap = ((rows[i] as BehaviorSample).ts - (rows[i - 1] as BehaviorSample).ts) / 1000;
    if (gap >= 0) gaps.push(gap);
  }
  const duration = rows.length > 1 ? ((rows.at(-1) as BehaviorSample).ts - (rows[0] as BehaviorSample).ts) / 1000 : 0;
  let mean: number | null = null;
  let stdev: number | null = null;
  let cv: number | null = null;
  let med: number | null = null;
  let min: number | null = null;
  let max: number | null = null;
  if (gaps.length > 0) {
    mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const m = mean;
    stdev = Math.sqrt(gaps.reduce((a, g) => a + (g - m) ** 2, 0) / gaps.length);
    cv = mean === 0 ? null : stdev / mean;
    const sorted = [...gaps].sort((a, b) => a - b);
    med = median(sorted);
    min = sorted[0] as number;
    max = sorted.at(-1) as number;
  }
  const cls = classify(rows.length, services, mean, cv);
  const guesses: string[] = [];
  if (mean !== null && cv !== null) {
    for (const p of BEACON_PROFILES) if (Math.abs(mean - p.mean) <= p.meanTol && Math.abs(cv - p.cv) <= p.cvTol) guesses.push(p.tool);
  }
  for (const tool of userAgentTools) if (!guesses.includes(tool)) guesses.push(tool);
  const r = (v: number | null): number | null => (v === null ? null : round(v));
  return {
    behavior_class: cls,
    rows: rows.length,
    services,
    mean_gap_s: r(mean),
    median_gap_s: r(med),
    stdev_gap_s: r(stdev),
    min_gap_s: r(min),
    max_gap_s: r(max),
    cv: r(cv),
    duration_s: round(duration),
    beacon_interval_s: cls === 'beaconing' ? r(mean) : null,
    beacon_jitter_pct: cls === 'beaconing' && cv !== null ? round(cv * 100) : null,
    tool_guesses: guesses,
  };
}
