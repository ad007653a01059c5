/**
 * What one run of `bench:bus` does and for how long. The default run stays under 60 s
 * and `--quick` under 15 s on a 2-core machine (performance.md); phase lengths are the
 * knobs. Every throughput scenario runs three phases on the same connections:
 * saturated (as fast as the window allows), paced at 10,000 events/s, and paced at half
 * the saturated rate (CORRECTIONS #3.7).
 */

export type ScenarioName = '1->1' | '1->10' | '10->1';

export interface Scenario {
  readonly name: ScenarioName;
  readonly publishers: number;
  readonly subscribers: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: '1->1', publishers: 1, subscribers: 1 },
  { name: '1->10', publishers: 1, subscribers: 10 },
  { name: '10->1', publishers: 10, subscribers: 1 },
];

export const PAYLOAD_SIZES = [128, 1024] as const;

/** The offered rate of the fixed latency phase (events/s, all publishers together). */
export const LATENCY_RATE = 10_000;

/** Workers forked for the throughput scenarios: 1 + 10 covers 1→10 and 10→1. */
export const POOL_SIZE = 11;

/** Routing scenario: subscription counts, over this many connections (CORRECTIONS #3.7). */
export const ROUTING_SIZES = [10, 1_000, 100_000] as const;
export const ROUTING_CONNECTIONS = 100;

/** Memory test: idle clients beside the stalled subscriber (performance.md). */
export const IDLE_CLIENTS = 1_000;
/** File descriptors the memory test needs in one process (idle clients, the stalled one, slack). */
export const FDS_NEEDED = IDLE_CLIENTS + 200;

export interface Budget {
  /** Saturated phase (ms). */
  readonly saturatedMs: number;
  /** Each paced latency phase (ms). */
  readonly pacedMs: number;
  /** The same for the in-process memory transport (cheap to set up, so shorter). */
  readonly memorySaturatedMs: number;
  readonly memoryPacedMs: number;
  /** Routing: events per subscription count, offered at `routingRate`. */
  readonly routingEvents: number;
  readonly routingRate: number;
  /** Memory test: how long the flood lasts (ms). */
  readonly floodMs: number;
  /** Latency samples kept per subscriber and phase. */
  readonly reservoir: number;
}

export function budget(quick: boolean): Budget {
  return quick
    ? { saturatedMs: 100, pacedMs: 70, memorySaturatedMs: 60, memoryPacedMs: 50, routingEvents: 5_000, routingRate: 40_000, floodMs: 300, reservoir: 5_000 }
    : { saturatedMs: 700, pacedMs: 300, memorySaturatedMs: 300, memoryPacedMs: 150, routingEvents: 25_000, routingRate: 50_000, floodMs: 1_000, reservoir: 10_000 };
}

/**
 * Events in flight at most, all publishers together. Large enough that the feedback
 * delay (a progress notice every window/8 events, two IPC hops) does not cap the rate;
 * small enough that filling it takes a few milliseconds, not a good part of a phase,
 * and far below the broker's per-connection bound (8 MiB / 65,536 frames, bus.md §3.6)
 * and our client's queue, so a subscriber that keeps up never loses an event.
 * BENCH_BUS_WINDOW overrides it, to study its effect.
 */
export function windowFor(): number {
  const forced = Number(process.env.BENCH_BUS_WINDOW);
  return Number.isSafeInteger(forced) && forced > 0 ? forced : 2048;
}

/** Our client's subscription queue in the bench: above any window, so it never drops a kept-up event. */
export const SUB_QUEUE = 65_536;
