/**
 * The NATS side of the comparison (CORRECTIONS #3.8): nats-server through the official
 * client, `@nats-io/transport-node`, on the same harness as the raw unix one. The
 * publisher publishes whole envelopes of the size the broker delivers (a NATS message
 * body is the envelope, bus.md §5); the subscriber parses every body, as the raw unix
 * subscriber does. Callback subscriptions: the client's fastest path.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EPOCH_SHIFT_MS, nowMs } from './clock.js';
import { envelopeBody, padFor, payloadJson } from './payload.js';
import type { PubSink } from './publisher.js';
import { parsePayload } from './raw-unix.js';
import type { Tally } from './tally.js';

/** Connects once, failing fast: the bench skips NATS rather than wait for it. */
export function natsConnect(server: string, name: string): Promise<NatsConnection> {
  return connect({ servers: server, name, timeout: 2000, reconnect: false });
}

/** Is a nats-server answering at `server`? */
export async function natsReachable(server: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: server, timeout: 1000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

export class NatsRawSink implements PubSink {
  private readonly pad: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly topic: string,
    private readonly index: number,
    payloadBytes: number,
  ) {
    this.pad = padFor(payloadBytes);
  }

  static async open(server: string, topic: string, index: number, payloadBytes: number): Promise<NatsRawSink> {
    return new NatsRawSink(await natsConnect(server, `bench-nats-pub-${index}`), topic, index, payloadBytes);
  }

  send(phase: number, seq: number, t: number): void {
    this.nc.publish(this.topic, envelopeBody(this.topic, (t + EPOCH_SHIFT_MS) / 1000, payloadJson(this.index, seq, phase, t, this.pad)));
  }

  /** The client buffers and flushes by itself; it has no backpressure signal (the window bounds it). */
  flush(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    await this.nc.flush();
    await this.nc.close();
  }
}

/** Subscribes with a callback that parses every body; resolves once the server has the SUB. */
export async function natsRawSubscriber(server: string, topic: string, tally: Tally): Promise<NatsConnection> {
  const nc = await natsConnect(server, 'bench-nats-sub');
  nc.subscribe(topic, {
    callback: (err, msg) => {
      if (err) return;
      const d = msg.data;
      tally.record(parsePayload(Buffer.from(d.buffer, d.byteOffset, d.byteLength)), nowMs());
    },
  });
  await nc.flush();
  return nc;
}
