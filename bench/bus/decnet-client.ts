/**
 * Our own client (`"client":"decnet"`) on any transport: `Bus.publish` with a payload
 * object (the client validates, serialises and frames it) and a subscription drained
 * with `for await`, the way workers use the bus. The unix helpers connect a `UnixBus`
 * to the broker; memory.ts uses the same sink and drain on `MemoryBus`.
 */
import { UnixBus } from '../../src/bus/transports/unix.js';
import type { Bus, Subscription } from '../../src/bus/types.js';
import { nowMs } from './clock.js';
import { BENCH_TYPE, padFor } from './payload.js';
import type { PubSink } from './publisher.js';
import type { Tally } from './tally.js';

export class BusSink implements PubSink {
  private readonly pad: string;
  /** Publishes our client refused (caller bugs; stays 0). */
  errors = 0;
  private readonly onError = (): void => void this.errors++;

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

export async function openUnixSink(socketPath: string, topic: string, index: number, payloadBytes: number): Promise<BusSink> {
  const bus = new UnixBus({ name: `bench-decnet-pub-${index}`, socketPath });
  await bus.connect({ timeoutMs: 5000 });
  return new BusSink(bus, topic, index, payloadBytes);
}

/** A `UnixBus` subscriber with a queue of `queue` events; returns its closer once routed. */
export async function openUnixSubscriber(socketPath: string, topic: string, queue: number, tally: Tally): Promise<() => Promise<void>> {
  const bus = new UnixBus({ name: 'bench-decnet-sub', socketPath });
  const sub = bus.subscribe(topic, { queue });
  await sub.ready;
  const done = consume(sub, tally);
  return async () => {
    await sub.close();
    await bus.close();
    await done;
  };
}
