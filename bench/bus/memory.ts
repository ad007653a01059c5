/**
 * The `memory` transport, all in one process (CORRECTIONS #3.7): publishers and
 * subscribers are `MemoryBus` instances on one private `MemoryHub`, driven by the same
 * publisher loop, tally and scoring as the socket transports. Delivery is synchronous,
 * with one JSON round-trip per subscriber, so this measures our client's own cost.
 */
import { MemoryBus, MemoryHub } from '../../src/bus/transports/memory.js';
import { nextTurn } from './clock.js';
import { LATENCY_RATE, SUB_QUEUE, windowFor, type Budget, type Scenario } from './config.js';
import { BusSink, consume } from './decnet-client.js';
import { awaitDelivered, phaseFigures, type PhaseFigures } from './measure.js';
import { envelopeBytes } from './payload.js';
import { runPublisher, type Credit } from './publisher.js';
import { halfRate, paced, throughputRow, type ThroughputRow } from './rows.js';
import { Tally } from './tally.js';

/** Credit read straight from the subscribers' tallies. */
class LocalCredit implements Credit {
  constructor(
    private readonly tallies: readonly Tally[],
    private readonly publisher: number,
  ) {}
  seen(phase: number): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const t of this.tallies) min = Math.min(min, t.seen(phase)[this.publisher] ?? 0);
    return min;
  }
  wait(): Promise<void> {
    return nextTurn(); // the subscribers run in this process: let them
  }
}

export async function runMemoryCombo(scenario: Scenario, payloadBytes: number, topic: string, budget: Budget): Promise<ThroughputRow> {
  const hub = new MemoryHub();
  const envBytes = envelopeBytes(topic, payloadBytes);
  const window = windowFor();
  const perPubWindow = Math.max(1, Math.floor(window / scenario.publishers));
  const tallies = Array.from({ length: scenario.subscribers }, () => new Tally({ publishers: scenario.publishers, reservoir: budget.reservoir, reportEvery: Number.MAX_SAFE_INTEGER }));
  const subBuses = tallies.map((_, j) => new MemoryBus({ name: `bench-mem-sub-${j}`, hub }));
  const subs = subBuses.map((b) => b.subscribe(topic, { queue: SUB_QUEUE }));
  await Promise.all(subs.map((s) => s.ready));
  const drains = subs.map((s, j) => consume(s, tallies[j]!));
  const sinks = Array.from({ length: scenario.publishers }, (_, i) => new BusSink(new MemoryBus({ name: `bench-mem-pub-${i}`, hub }), topic, i, payloadBytes));
  const credits = sinks.map((_, i) => new LocalCredit(tallies, i));

  const phase = async (ph: number, totalRate: number | null, durationMs: number): Promise<PhaseFigures> => {
    const plan = { phase: ph, durationMs, maxEvents: null, ratePerS: totalRate === null ? null : totalRate / sinks.length, window: perPubWindow };
    const results = await Promise.all(sinks.map((s, i) => runPublisher(s, plan, credits[i]!)));
    // the last bursts are queued in the subscriptions: let the subscribers take them
    const published = results.reduce((a, r) => a + r.published, 0);
    const delivered = async (): Promise<number> => tallies.reduce((a, t) => a + t.count(ph), 0);
    await awaitDelivered(delivered, published * tallies.length, 100, 2000);
    return phaseFigures(
      results,
      tallies.map((t) => t.summary(ph)),
    );
  };

  try {
    const saturated = await phase(1, null, budget.memorySaturatedMs);
    const at10k = await phase(2, LATENCY_RATE, budget.memoryPacedMs);
    const half = halfRate(saturated, scenario.subscribers);
    const atHalf = await phase(3, half, budget.memoryPacedMs);
    const head = { transport: 'memory' as const, client: 'decnet' as const, scenario: scenario.name, payload_bytes: payloadBytes, envelope_bytes: envBytes, publishers: scenario.publishers, subscribers: scenario.subscribers, window };
    return throughputRow(head, saturated, paced(LATENCY_RATE, at10k), paced(half, atHalf));
  } finally {
    await Promise.all([...sinks.map((s) => s.close()), ...subBuses.map((b) => b.close())]);
    await Promise.all(drains);
  }
}
