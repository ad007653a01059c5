/**
 * The shape of a throughput row (performance.md's names first, extras after) and how
 * the three phases of a scenario fill it.
 */
import type { ScenarioName } from './config.js';
import type { PhaseFigures } from './measure.js';

/** A paced phase: what was offered and what came of it. */
export interface PacedFigures {
  readonly offered_per_s: number;
  readonly published_per_s: number;
  readonly delivered_per_s: number;
  readonly loss: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
}

export interface ThroughputRow {
  readonly transport: 'unix' | 'memory' | 'nats';
  readonly client: 'decnet' | 'raw';
  readonly scenario: ScenarioName;
  readonly payload_bytes: number;
  /** Saturated phase. */
  readonly published_per_s: number;
  readonly delivered_per_s: number;
  readonly loss: number;
  /** Latency at half the saturated rate (performance.md), offered at `offered_per_s`. */
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly offered_per_s: number;
  /** The latency phases themselves (CORRECTIONS #3.7). */
  readonly at_10k: PacedFigures;
  readonly at_half_saturation: PacedFigures;
  /** Latency while saturated (queueing included, for reference). */
  readonly saturated_p50_ms: number;
  readonly saturated_p99_ms: number;
  readonly envelope_bytes: number;
  readonly publishers: number;
  readonly subscribers: number;
  /** Flow-control window, events in flight at most. */
  readonly window: number;
  /** Broker CPU per published event in the saturated phase (unix only; µs). */
  readonly broker_cpu_us_per_event?: number;
  /** Frames the broker dropped during the three phases (unix only; its drop-oldest counter). */
  readonly broker_dropped?: number;
}

export interface RowHead {
  readonly transport: ThroughputRow['transport'];
  readonly client: ThroughputRow['client'];
  readonly scenario: ScenarioName;
  readonly payload_bytes: number;
  readonly envelope_bytes: number;
  readonly publishers: number;
  readonly subscribers: number;
  readonly window: number;
}

export function paced(offered: number, f: PhaseFigures): PacedFigures {
  return { offered_per_s: offered, published_per_s: f.published_per_s, delivered_per_s: f.delivered_per_s, loss: f.loss, p50_ms: f.p50_ms, p99_ms: f.p99_ms };
}

export function throughputRow(head: RowHead, saturated: PhaseFigures, at10k: PacedFigures, half: PacedFigures, broker?: { cpuUsPerEvent: number; dropped: number }): ThroughputRow {
  return {
    transport: head.transport,
    client: head.client,
    scenario: head.scenario,
    payload_bytes: head.payload_bytes,
    published_per_s: saturated.published_per_s,
    delivered_per_s: saturated.delivered_per_s,
    loss: saturated.loss,
    p50_ms: half.p50_ms,
    p99_ms: half.p99_ms,
    offered_per_s: half.offered_per_s,
    at_10k: at10k,
    at_half_saturation: half,
    saturated_p50_ms: saturated.p50_ms,
    saturated_p99_ms: saturated.p99_ms,
    envelope_bytes: head.envelope_bytes,
    publishers: head.publishers,
    subscribers: head.subscribers,
    window: head.window,
    ...(broker === undefined ? {} : { broker_cpu_us_per_event: broker.cpuUsPerEvent, broker_dropped: broker.dropped }),
  };
}

/**
 * Half the saturated rate, in published events/s, rounded to a hundred (at least 100).
 * The sustained rate is what reached each subscriber (delivered ÷ fan-out): the publish
 * rate also counts the window filled at the start.
 */
export function halfRate(saturated: PhaseFigures, subscribers: number): number {
  const sustained = Math.min(saturated.published_per_s, saturated.delivered_per_s / subscribers);
  return Math.max(100, Math.round(sustained / 200) * 100);
}

/** One line of progress for a finished row. */
export function describe(r: ThroughputRow): string {
  return (
    `${r.transport}/${r.client} ${r.scenario} ${r.payload_bytes} B: pub ${r.published_per_s}/s, del ${r.delivered_per_s}/s, loss ${r.loss}; ` +
    `p50/p99 ${r.at_10k.p50_ms}/${r.at_10k.p99_ms} ms @10k, ${r.p50_ms}/${r.p99_ms} ms @${r.offered_per_s}/s` +
    (r.broker_dropped ? `; broker dropped ${r.broker_dropped}` : '')
  );
}
