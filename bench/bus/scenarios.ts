/**
 * The throughput and latency scenarios over real processes (unix through our client,
 * unix raw, NATS raw): subscribers and publishers in separate workers, the broker in its
 * own, the three phases of config.ts on the same connections.
 */
import { LATENCY_RATE, SUB_QUEUE, windowFor, type Budget, type Scenario } from './config.js';
import type { Endpoint } from './ipc.js';
import { awaitDelivered, phaseFigures, type PhaseFigures } from './measure.js';
import { envelopeBytes } from './payload.js';
import type { Worker } from './pool.js';
import type { RunPlan } from './publisher.js';
import { CreditRelay } from './relay.js';
import { halfRate, paced, throughputRow, type ThroughputRow } from './rows.js';

/** Waiting for the last deliveries: give up when nothing moved for this long (ms). */
const DRAIN_QUIET_MS = 250;
const DRAIN_MAX_MS = 2_000;

export interface PhaseRun {
  readonly subs: readonly Worker[];
  readonly pubs: readonly Worker[];
  readonly phase: number;
  /** Total offered rate over all publishers (null: saturated). */
  readonly ratePerS: number | null;
  readonly durationMs: number;
  /** Events per publisher at most (null: duration only). */
  readonly maxEvents: number | null;
  /** Total window over all publishers (null: no flow control). */
  readonly window: number | null;
}

/** Runs one phase on every publisher at once, waits for the deliveries, and scores it. */
export async function runPhase(r: PhaseRun): Promise<PhaseFigures> {
  const n = r.pubs.length;
  const plan: RunPlan = {
    phase: r.phase,
    durationMs: r.durationMs,
    maxEvents: r.maxEvents,
    ratePerS: r.ratePerS === null ? null : r.ratePerS / n,
    window: r.window === null ? null : Math.max(1, Math.floor(r.window / n)),
  };
  const relay = new CreditRelay(r.subs, r.pubs, r.phase);
  try {
    const results = await Promise.all(r.pubs.map((p) => p.call({ op: 'pub.run', plan })));
    const published = results.reduce((a, x) => a + x.published, 0);
    const count = async (): Promise<number> => {
      const counts = await Promise.all(r.subs.map((s) => s.call({ op: 'sub.count', phase: r.phase })));
      return counts.reduce((a, c) => a + c.count, 0);
    };
    await awaitDelivered(count, published * r.subs.length, DRAIN_QUIET_MS, DRAIN_MAX_MS);
    const summaries = await Promise.all(r.subs.map((s) => s.call({ op: 'sub.summary', phase: r.phase })));
    const f = phaseFigures(results, summaries);
    if (f.min_ms < -0.05) process.stderr.write(`bus: warning: a latency of ${f.min_ms} ms in phase ${r.phase}: the workers' clocks disagree (see clock.ts)\n`);
    return f;
  } finally {
    relay.dispose();
  }
}

export interface ComboSpec {
  readonly endpoint: Endpoint;
  readonly scenario: Scenario;
  readonly payloadBytes: number;
  readonly topic: string;
  readonly budget: Budget;
  /** Workers to play the roles (at least publishers + subscribers). */
  readonly pool: readonly Worker[];
  /** The broker's worker, to read its CPU time (unix only). */
  readonly broker?: Worker;
}

/** The broker's CPU time (µs) and dropped counter, when it is ours to read (unix). */
async function brokerNow(broker: Worker | undefined): Promise<{ cpu: number; dropped: number } | undefined> {
  if (!broker) return undefined;
  const s = await broker.call({ op: 'broker.sample' });
  return { cpu: s.cpuUser + s.cpuSystem, dropped: s.dropped };
}

/** One (transport, client, scenario, payload size): open, three phases, close. */
export async function runCombo(c: ComboSpec): Promise<ThroughputRow> {
  const { scenario, endpoint, topic, budget } = c;
  const subs = c.pool.slice(0, scenario.subscribers);
  const pubs = c.pool.slice(scenario.subscribers, scenario.subscribers + scenario.publishers);
  if (pubs.length < scenario.publishers) throw new Error(`scenario ${scenario.name} needs ${scenario.publishers + scenario.subscribers} workers, the pool has ${c.pool.length}`);
  const envBytes = envelopeBytes(topic, c.payloadBytes);
  const window = windowFor();
  try {
    const subSpec = { endpoint, topic, publishers: scenario.publishers, queue: SUB_QUEUE, reservoir: budget.reservoir, reportEvery: Math.max(64, Math.floor(window / 8)) };
    await Promise.all(subs.map((w) => w.call({ op: 'sub.open', spec: subSpec })));
    await Promise.all(pubs.map((w, index) => w.call({ op: 'pub.open', spec: { endpoint, topic, index, payloadBytes: c.payloadBytes } })));
    const base = { subs, pubs, maxEvents: null, window };
    const b0 = await brokerNow(c.broker);
    const saturated = await runPhase({ ...base, phase: 1, ratePerS: null, durationMs: budget.saturatedMs });
    const b1 = await brokerNow(c.broker);
    const at10k = await runPhase({ ...base, phase: 2, ratePerS: LATENCY_RATE, durationMs: budget.pacedMs });
    const half = halfRate(saturated, scenario.subscribers);
    const atHalf = await runPhase({ ...base, phase: 3, ratePerS: half, durationMs: budget.pacedMs });
    const b2 = await brokerNow(c.broker);
    const broker =
      b0 && b1 && b2 && saturated.published > 0 ? { cpuUsPerEvent: Math.round(((b1.cpu - b0.cpu) / saturated.published) * 100) / 100, dropped: b2.dropped - b0.dropped } : undefined;
    const head = {
      transport: endpoint.transport,
      client: endpoint.client,
      scenario: scenario.name,
      payload_bytes: c.payloadBytes,
      envelope_bytes: envBytes,
      publishers: scenario.publishers,
      subscribers: scenario.subscribers,
      window,
    };
    return throughputRow(head, saturated, paced(LATENCY_RATE, at10k), paced(half, atHalf), broker);
  } finally {
    await Promise.allSettled([...subs, ...pubs].map((w) => w.call({ op: 'close' })));
  }
}
