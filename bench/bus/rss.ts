/**
 * The memory test (performance.md): broker RSS with 1,000 idle clients connected and
 * one stalled subscriber (subscribed to the flood, never reading) while one publisher
 * floods as fast as its socket takes it (no flow control: nobody gives credit). The
 * broker must drop the oldest frames queued for the stalled one (bus.md §3.6) and keep
 * its RSS bounded (target < 200 MiB). It runs on a fresh broker process, so nothing
 * earlier in the bench inflates the figures.
 */
import { IDLE_CLIENTS, type Budget } from './config.js';
import type { BrokerSample, Endpoint } from './ipc.js';
import { Worker } from './pool.js';

const TOPIC = 'bench.bus.flood';
/** What the stalled subscriber asked for: a wildcard that the flood matches. */
const STALL_PATTERN = 'bench.bus.>';
const PAYLOAD_BYTES = 1024;
const POLL_MS = 100;
const MIB = 1024 * 1024;

export interface MemoryTest {
  readonly idle_clients: number;
  readonly stalled_subscribers: 1;
  readonly payload_bytes: number;
  readonly flood_ms: number;
  readonly flood_published: number;
  readonly flood_published_per_s: number;
  /** Broker RSS (MiB): fresh, with the clients connected, highest seen during the flood, after it. */
  readonly broker_rss_mib: { readonly fresh: number; readonly with_clients: number; readonly peak: number; readonly after: number };
  /** Frames the broker dropped (the stalled subscriber's oldest), from its stats. */
  readonly broker_dropped: number;
  readonly broker_connections: number;
}

const mib = (bytes: number): number => Math.round((bytes / MIB) * 10) / 10;

export async function runMemoryTest(socketPath: string, idle: Worker, flooder: Worker, budget: Budget): Promise<MemoryTest> {
  const broker = await Worker.spawn('broker-rss');
  try {
    await broker.call({ op: 'broker.start', socketPath });
    const sample = (): Promise<BrokerSample> => broker.call({ op: 'broker.sample' });
    const fresh = await sample();
    await idle.call({ op: 'idle.open', socketPath, clients: IDLE_CLIENTS, stallPattern: STALL_PATTERN });
    const endpoint: Endpoint = { transport: 'unix', client: 'raw', socketPath, natsServer: '' };
    await flooder.call({ op: 'pub.open', spec: { endpoint, topic: TOPIC, index: 0, payloadBytes: PAYLOAD_BYTES } });
    const withClients = await sample();
    let peak = withClients.rss;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        peak = Math.max(peak, (await sample()).rss);
      }
    })();
    // flood for floodMs, and on (up to 3×) until the stalled subscriber's queue overflows:
    // the test is about what the broker does then
    let published = 0;
    let floodStart = 0;
    let floodEnd = 0;
    for (let round = 1; round <= 3; round++) {
      const run = await flooder.call({ op: 'pub.run', plan: { phase: round, durationMs: budget.floodMs, maxEvents: null, ratePerS: null, window: null } });
      if (round === 1) floodStart = run.t0;
      floodEnd = run.t1;
      published += run.published;
      if ((await sample()).dropped > 0) break;
    }
    polling = false;
    await poller;
    const after = await sample();
    peak = Math.max(peak, after.rss);
    return {
      idle_clients: IDLE_CLIENTS,
      stalled_subscribers: 1,
      payload_bytes: PAYLOAD_BYTES,
      flood_ms: Math.round(floodEnd - floodStart),
      flood_published: published,
      flood_published_per_s: Math.round(published / (Math.max(floodEnd - floodStart, 1) / 1000)),
      broker_rss_mib: { fresh: mib(fresh.rss), with_clients: mib(withClients.rss), peak: mib(peak), after: mib(after.rss) },
      broker_dropped: after.dropped,
      broker_connections: withClients.connections,
    };
  } finally {
    await Promise.allSettled([idle.call({ op: 'close' }), flooder.call({ op: 'close' })]);
    await broker.stop();
  }
}
