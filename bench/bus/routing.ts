/**
 * The `routing` scenario (performance.md, CORRECTIONS #3.7): the broker's CPU time per
 * event while 10, 1,000 or 100,000 subscriptions are held over 100 connections and one
 * of them matches. The subscription index makes routing cost O(topic depth × matching
 * branches), so the CPU per event at 100k should stay within 2× of 10.
 *
 * The offered rate is fixed (not saturated) so that every size sees the same batching
 * of reads and writes, and only the index differs; CPU comes from `process.cpuUsage()`
 * in the broker's own process, read before and after the measured phase.
 */
import { ROUTING_CONNECTIONS, ROUTING_SIZES, SUB_QUEUE, windowFor, type Budget } from './config.js';
import type { Endpoint } from './ipc.js';
import type { Worker } from './pool.js';
import { runPhase } from './scenarios.js';

const TOPIC = 'bench.routing.hit';
const PAYLOAD_BYTES = 128;

export interface RoutingRow {
  readonly transport: 'unix';
  readonly client: 'raw';
  readonly scenario: 'routing';
  readonly payload_bytes: number;
  readonly subscriptions: number;
  readonly connections: number;
  /** Broker CPU (user + system) per published event (µs). */
  readonly cpu_us_per_event: number;
  readonly offered_per_s: number;
  readonly published_per_s: number;
  readonly delivered_per_s: number;
  readonly loss: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  /** Subscriptions the broker reported while measuring (the matching one included). */
  readonly broker_subscriptions: number;
}

async function cpuOf(broker: Worker): Promise<{ cpu: number; subscriptions: number }> {
  const s = await broker.call({ op: 'broker.sample' });
  return { cpu: s.cpuUser + s.cpuSystem, subscriptions: s.subscriptions };
}

export async function runRouting(broker: Worker, holder: Worker, publisher: Worker, socketPath: string, budget: Budget, progress: (msg: string) => void): Promise<RoutingRow[]> {
  const endpoint: Endpoint = { transport: 'unix', client: 'raw', socketPath, natsServer: '' };
  const window = windowFor();
  const rows: RoutingRow[] = [];
  for (const subscriptions of ROUTING_SIZES) {
    try {
      const spec = { endpoint, topic: TOPIC, publishers: 1, queue: SUB_QUEUE, reservoir: budget.reservoir, reportEvery: Math.floor(window / 8) };
      await holder.call({ op: 'routing.open', spec, connections: ROUTING_CONNECTIONS, subscriptions });
      await publisher.call({ op: 'pub.open', spec: { endpoint, topic: TOPIC, index: 0, payloadBytes: PAYLOAD_BYTES } });
      const phase = { subs: [holder], pubs: [publisher], window, ratePerS: budget.routingRate, durationMs: 60_000 };
      await runPhase({ ...phase, phase: 1, maxEvents: Math.ceil(budget.routingEvents / 10) }); // warm-up, not measured
      const before = await cpuOf(broker);
      const f = await runPhase({ ...phase, phase: 2, maxEvents: budget.routingEvents });
      const after = await cpuOf(broker);
      const row: RoutingRow = {
        transport: 'unix',
        client: 'raw',
        scenario: 'routing',
        payload_bytes: PAYLOAD_BYTES,
        subscriptions,
        connections: ROUTING_CONNECTIONS,
        cpu_us_per_event: f.published === 0 ? 0 : Math.round(((after.cpu - before.cpu) / f.published) * 100) / 100,
        offered_per_s: budget.routingRate,
        published_per_s: f.published_per_s,
        delivered_per_s: f.delivered_per_s,
        loss: f.loss,
        p50_ms: f.p50_ms,
        p99_ms: f.p99_ms,
        broker_subscriptions: before.subscriptions,
      };
      progress(`routing: ${subscriptions} subscriptions → ${row.cpu_us_per_event} µs broker CPU per event (loss ${row.loss})`);
      rows.push(row);
    } finally {
      await Promise.allSettled([holder.call({ op: 'close' }), publisher.call({ op: 'close' })]);
    }
  }
  return rows;
}

/** CPU per event at the largest size over the smallest (target ≤ 2). */
export function routingRatio(rows: readonly RoutingRow[]): number | null {
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (!first || !last || first.cpu_us_per_event <= 0) return null;
  return Math.round((last.cpu_us_per_event / first.cpu_us_per_event) * 100) / 100;
}
