/**
 * `durable()` on NATS: one JetStream durable pull consumer per pattern (nats-server 2.9
 * takes one filter subject per consumer, CORRECTIONS #4.2), merged into one iterator.
 *
 * At-least-once: an event is acked only when the worker calls `ack()`, which resolves
 * once the server confirms it. Unacked events come again after the ack wait, to this
 * process or to the next one opening the same name. Within one process an event is
 * yielded once while it is in hand: a second copy (another matching pattern, or a
 * redelivery of an event not acked yet) is acked together with the first.
 */
import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { isEventId } from '../envelope.js';
import { BusUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BusEvent, DurableMessage, DurableOptions, DurableSubscription } from '../types.js';
import { DEFAULT_DURABLE_BATCH } from './at-most-once.js';
import { consumerName, normalizePatterns, validateDurableName } from './names.js';
import { DurableQueue, RecentIds } from './queue.js';
import { ensureConsumer, type StreamSettings } from './stream.js';

/** What the NATS bus lends a durable subscription. */
export interface JetStreamHost {
  readonly log: Logger;
  readonly stream: StreamSettings;
  /** The connection, once connected and the stream ensured; rejects if the bus closes first. */
  jetstreamReady(): Promise<NatsConnection>;
  /** Called once when the subscription closes (the bus stops tracking it). */
  forget(sub: DurableSubscription): void;
}

interface InHand {
  state: 'pending' | 'acking' | 'acked' | 'failed';
  /** Other deliveries of the same event, acked with it. */
  readonly copies: JsMsg[];
}

/** The envelope of a stored message, topic from the subject; undefined when it is not one. */
function parseEnvelope(subject: string, body: string): BusEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const env = v as Record<string, unknown>;
  const p = env.payload;
  if (!isEventId(env.id) || typeof env.ts !== 'number' || p === null || typeof p !== 'object' || Array.isArray(p)) return undefined;
  env.topic = subject; // the topic comes from the transport (bus.md §1)
  if (typeof env.type !== 'string') env.type = '';
  return env as unknown as BusEvent;
}

export function jetStreamDurable(host: JetStreamHost, name: string, patterns: string | readonly string[], opts?: DurableOptions): DurableSubscription {
  validateDurableName(name);
  const list = normalizePatterns(patterns);
  const batch = opts?.batch ?? DEFAULT_DURABLE_BATCH;
  const deliver = opts?.deliver ?? 'new';
  const log = host.log;
  const streams: ConsumerMessages[] = [];
  const seen = new RecentIds<InHand>();
  let closed = false;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      queue.end();
      await Promise.allSettled(streams.splice(0).map((m) => m.close()));
      host.forget(sub);
    })();
    return closing;
  };
  const queue = new DurableQueue<DurableMessage>(batch, close);

  const ack = async (m: JsMsg, hand: InHand): Promise<void> => {
    hand.state = 'acking';
    try {
      await m.ackAck();
    } catch (err) {
      hand.state = 'failed';
      throw new BusUnavailableError(`ack of ${m.subject} (stream seq ${m.seq}) not confirmed; it will be redelivered: ${err instanceof Error ? err.message : String(err)}`);
    }
    hand.state = 'acked';
    for (const c of hand.copies.splice(0)) c.ack();
  };

  const offer = async (m: JsMsg): Promise<boolean> => {
    const event = parseEnvelope(m.subject, m.string());
    if (!event) {
      log.warn({ subject: m.subject, seq: m.seq }, 'durable: stored message is not an envelope; terminated (not redelivered)');
      m.term('not a decnet envelope');
      return true;
    }
    const prior = seen.get(event.id);
    if (prior && prior.state !== 'failed') {
      if (prior.state === 'acked') m.ack();
      else prior.copies.push(m);
      return true;
    }
    const hand: InHand = { state: 'pending', copies: [] };
    seen.set(event.id, hand);
    let acking: Promise<void> | undefined;
    return queue.put({ event, redelivered: m.redelivered, ack: () => (acking ??= ack(m, hand)) });
  };

  const pump = async (messages: ConsumerMessages, pattern: string): Promise<void> => {
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found' || s.type === 'stream_not_found') log.warn({ durable: name, pattern, status: s.type }, 'durable consumer lost on the server; retrying');
      }
    })().catch(() => undefined);
    for await (const m of messages) {
      if (!(await offer(m))) break;
    }
  };

  const setup = async (): Promise<void> => {
    const nc = await host.jetstreamReady();
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await Promise.all(
      list.map(async (pattern) => {
        const durable = consumerName(name, pattern);
        await ensureConsumer(jsm, host.stream.name, durable, pattern, host.stream.ackWaitMs, deliver);
        if (closed) return;
        const consumer = await js.consumers.get(host.stream.name, durable);
        const messages = await consumer.consume({ max_messages: batch });
        if (closed) {
          await messages.close();
          return;
        }
        streams.push(messages);
        void pump(messages, pattern).catch((err: unknown) => {
          if (!closed) queue.fail(err);
        });
      }),
    );
  };
  // closed before it was set up: simply ready (nothing can be missed any more), like subscribe()
  const ready = setup().catch((err: unknown) => {
    if (closed) return;
    log.warn({ durable: name, patterns: list, err: err instanceof Error ? err.message : String(err) }, 'durable subscription could not start');
    queue.fail(err);
    void close();
    throw err;
  });
  ready.catch(() => undefined); // the caller may never look at it; the iterator reports it too

  const sub: DurableSubscription = {
    name,
    patterns: list,
    guarantee: 'at-least-once',
    ready,
    close,
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  };
  return sub;
}
