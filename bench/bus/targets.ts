/**
 * The summary fields: the unix/NATS ratio and a pass/fail per target of performance.md,
 * each computed from rows of this same run. A target whose rows are missing (NATS not
 * reachable) has `pass: null`.
 */
import type { RoutingRow } from './routing.js';
import type { MemoryTest } from './rss.js';
import type { ThroughputRow } from './rows.js';

export interface Target {
  readonly target: string;
  readonly value: number | null;
  readonly pass: boolean | null;
  readonly detail?: Record<string, number | null>;
}

const ratio = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 1000) / 1000);

function find(rows: readonly ThroughputRow[], transport: string, client: string, scenario: string, size: number): ThroughputRow | undefined {
  return rows.find((r) => r.transport === transport && r.client === client && r.scenario === scenario && r.payload_bytes === size);
}

/** delivered/s of unix 1→1 over NATS 1→1, per payload size, both through `client` (raw harness, or our transports). */
export function unixVsNats(rows: readonly ThroughputRow[], client: 'raw' | 'decnet'): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const size of [128, 1024]) out[String(size)] = ratio(find(rows, 'unix', client, '1->1', size)?.delivered_per_s, find(rows, 'nats', client, '1->1', size)?.delivered_per_s);
  return out;
}

const key = (r: ThroughputRow): string => `${r.client} ${r.scenario} ${r.payload_bytes}`;

export function targets(rows: readonly ThroughputRow[], routing: readonly RoutingRow[], routingRatio: number | null, mem: MemoryTest | undefined): Record<string, Target> {
  const out: Record<string, Target> = {};
  const vs = unixVsNats(rows, 'raw');
  for (const size of ['128', '1024']) {
    const v = vs[size] ?? null;
    out[`unix_vs_nats_1to1_${size}`] = { target: 'unix raw 1->1 delivered/s >= 0.75 x nats raw', value: v, pass: v === null ? null : v >= 0.75 };
  }

  // no loss in 1->1 and 10->1 on our broker, in every phase (the window keeps the subscriber up)
  const lossRows = rows.filter((r) => r.transport === 'unix' && (r.scenario === '1->1' || r.scenario === '10->1'));
  const lossDetail: Record<string, number> = {};
  for (const r of lossRows) lossDetail[key(r)] = Math.max(r.loss, r.at_10k.loss, r.at_half_saturation.loss);
  const worstLoss = lossRows.length === 0 ? null : Math.max(...Object.values(lossDetail));
  out.no_loss_1to1_10to1 = { target: 'unix 1->1 and 10->1 loss == 0 (every phase)', value: worstLoss, pass: worstLoss === null ? null : worstLoss === 0, detail: lossDetail };

  const latRows = rows.filter((r) => r.transport === 'unix' && r.scenario === '1->1');
  const latDetail: Record<string, number> = {};
  for (const r of latRows) latDetail[key(r)] = r.at_10k.p99_ms;
  const worstP99 = latRows.length === 0 ? null : Math.max(...Object.values(latDetail));
  out.p99_under_1ms_at_10k_1to1 = { target: 'unix 1->1 p99 < 1 ms at 10,000 events/s', value: worstP99, pass: worstP99 === null ? null : worstP99 < 1, detail: latDetail };

  const routingDetail: Record<string, number> = {};
  for (const r of routing) routingDetail[String(r.subscriptions)] = r.cpu_us_per_event;
  out.routing_100k_vs_10 = { target: 'broker CPU/event at 100k subscriptions <= 2 x at 10', value: routingRatio, pass: routingRatio === null ? null : routingRatio <= 2, detail: routingDetail };

  const peak = mem?.broker_rss_mib.peak ?? null;
  out.broker_rss_1000_clients_stalled = { target: 'broker RSS < 200 MiB with 1,000 clients and a stalled subscriber', value: peak, pass: peak === null ? null : peak < 200 };
  return out;
}
