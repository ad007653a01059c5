/**
 * Our own client (`"client":"decnet"`) on any transport: `Bus.publish` with a payload
 * object (the client validates, serialises and frames it) and a subscription drained
 * with `for await`, the way workers use the bus. Over processes it is a `UnixBus` to the
 * broker or a `NatsBus` to nats-server (its durable-topics stream turned off, so the
 * bench leaves no JetStream state behind; loaded only when asked for, since the NATS and
 * JetStream clients take a while to load in every worker); memory.ts uses the same sink
 * and drain on `MemoryBus`.
 */
import { UnixBus } from '../../src/bus/transports/unix.js';
import type { Bus, Subscription } from '../../src/bus/types.js';
import { nowMs } from './clock.js';
import type { Endpoint } from './ipc.js';
import { BENCH_TYPE, padFor } from './payload.js';
import type { PubSink } from './publisher.js';
import type { Tally } from './tally.js';

export class BusSink implements PubSink {
  private readonly pad: string;
  /** The first publish our client refused: a bug in the bench, reported at the end of the burst. */
  private failure: unknown;
  private readonly onError = (err: unknown): void => void (this.failure ??= err);

  constructor(
    private readonly bus: Bus,
    private readonly topic: string,
    private readonly index: number,
    payloadBytes: number,
  ) {
    this.pad = padFor(payloadBytes);
  }

  send(phase: number, seq: number, t: number): void {
    this.bus.publish(this.topic, { p: this.index, s: seq, ph: phase, t, pad: this.pad }, { type: BENCH_TYPE }).catch(this.onError);
  }

  /** The client writes through and buffers by itself; it exposes no backpressure (the window bounds it). */
  flush(): undefined {
    if (this.failure !== undefined) throw this.failure;
    return undefined;
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

/** Drains `sub` into the tally until it is closed. */
export async function consume(sub: Subscription, tally: Tally): Promise<void> {
  for await (const ev of sub) tally.record(ev.payload, nowMs());
}

/** A bus of our client for `endpoint` (unix or nats). */
async function busFor(endpoint: Endpoint, name: string): Promise<Bus> {
  if (endpoint.transport === 'unix') return new UnixBus({ name, socketPath: endpoint.socketPath });
  const { NatsBus } = await import('../../src/bus/transports/nats.js');
  // patterns: [] turns the durable-topics stream off (no JetStream state on a shared server)
  return new NatsBus({ name, servers: endpoint.natsServer, stream: { name: 'DECNET_BENCH_UNUSED', patterns: [], maxAgeMs: 0, maxBytes: 0, ackWaitMs: 30_000 } });
}

export async function openBusSink(endpoint: Endpoint, topic: string, index: number, payloadBytes: number): Promise<BusSink> {
  const bus = await busFor(endpoint, `bench-decnet-pub-${index}`);
  await bus.connect({ timeoutMs: 5000 });
  return new BusSink(bus, topic, index, payloadBytes);
}

/** A subscriber of our client with a queue of `queue` events; returns its closer once routed. */
export async function openBusSubscriber(endpoint: Endpoint, topic: string, queue: number, tally: Tally): Promise<() => Promise<void>> {
  const bus = await busFor(endpoint, 'bench-decnet-sub');
  const sub = bus.subscribe(topic, { queue });
  await sub.ready;
  const done = consume(sub, tally);
  return async () => {
    await sub.close();
    await bus.close();
    await done;
  };
}
