/**
 * The broker's router (spec/bus.md §3.3): patterns → receivers through the subscription
 * index, and the one place where a PUB becomes a delivered event.
 *
 * Invariants:
 * - The envelope is minted ONCE per event, from a structural scan of the PUB body, without
 *   JSON.parse/JSON.stringify (CORRECTIONS #3.11); the same `EVT` frame Buffer goes to
 *   every receiver.
 * - Each receiver gets ONE delivery per event however many of its patterns match: a
 *   per-event sequence number is stamped on the receiver (no Set allocated per event).
 * - The origin of an event (the publishing connection, or the token an in-process
 *   injector passes) never receives it back: v1's no-echo, and the bridge's loop guard.
 * - Routing is synchronous, so events from one publisher reach each receiver in order.
 */
import { encodeFrameHead, mintEvtFrame, scanPubBody } from '../codec/index.js';
import type { Clock } from '../clock.js';
import { MAX_BODY_BYTES, newEventId } from '../envelope.js';
import { ProtocolError, TopicError } from '../errors.js';
import { isValidTopic, validatePattern, validateTopic } from '../grammar.js';
import type { Logger } from '../log.js';
import { SubscriptionIndex } from '../subscription-index.js';

/** One event on its way out: the shared frame, and where the envelope starts in it. */
export interface RoutedEvent {
  readonly topic: string;
  /** The whole `EVT <topic>` frame (shared by every receiver; never mutate). */
  readonly frame: Buffer;
  /** Offset of the envelope (the frame body) in `frame` (bytes). */
  readonly bodyOffset: number;
}

/** Whatever the router can deliver to: a client connection or an in-process listener. */
export interface Receiver {
  /** Stamp of the last routing pass that delivered here (the per-event dedupe). */
  routeSeq: number;
  /** Events whose origin is this object are not delivered here (no echo). */
  readonly origin: object;
  deliver(ev: RoutedEvent): void;
}

/** What a PUB came to. `bad_body` is a framing error; the others are refusals. */
export type PublishResult =
  | { readonly ok: true; readonly receivers: number }
  | { readonly ok: false; readonly code: 'bad_body' | 'bad_payload' | 'bad_topic' | 'too_large'; readonly message: string };

/** A listener inside the broker process (the NATS bridge, the broker's own control topic). */
class LocalReceiver implements Receiver {
  routeSeq = 0;
  constructor(
    readonly origin: object,
    private readonly onEnvelope: (topic: string, envelope: Buffer) => void,
    private readonly log: Logger,
  ) {}
  deliver(ev: RoutedEvent): void {
    try {
      this.onEnvelope(ev.topic, ev.frame.subarray(ev.bodyOffset));
    } catch (err) {
      this.log.error({ err, topic: ev.topic }, 'in-process bus listener threw; event skipped for it');
    }
  }
}

export interface RouterOptions {
  clock: Clock;
  log: Logger;
  /** Event id generator (tests may pin it). */
  newId?: () => string;
}

export class Router {
  private readonly index = new SubscriptionIndex<Receiver>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly newId: () => string;
  private seq = 0;
  private routing = false;
  /** Events routed from inside a delivery (a listener that injects), run after it. */
  private readonly nested: Array<{ ev: RoutedEvent; origin: object | undefined }> = [];
  /** Events accepted for routing since start (client PUBs and injected events, not the heartbeat). */
  published = 0;
  /** Deliveries handed to receivers since start (a connection may still drop some). */
  delivered = 0;

  constructor(opts: RouterOptions) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.newId = opts.newId ?? newEventId;
  }

  /** (pattern, receiver) pairs routed, local listeners included. */
  get size(): number {
    return this.index.size;
  }

  /** Routes `pattern` (assumed valid) to `r`. False when it already was. */
  add(pattern: string, r: Receiver): boolean {
    return this.index.add(pattern, r);
  }

  remove(pattern: string, r: Receiver): boolean {
    return this.index.remove(pattern, r);
  }

  /**
   * A client PUB: scans the body, mints the envelope (fresh id, broker ts, v 1, topic from
   * the header; the publisher's `type` and `payload` bytes kept as they are) and routes it
   * to everyone matching except `origin`.
   */
  publish(topic: string, body: Buffer, origin: object): PublishResult {
    const scan = scanPubBody(body);
    if (!scan.ok) return scan;
    if (!isValidTopic(topic)) return { ok: false, code: 'bad_topic', message: topicReason(topic, false) };
    let ev: RoutedEvent;
    try {
      const { frame, bodyOffset } = mintEvtFrame(topic, this.newId(), this.clock.now() / 1000, body, scan);
      ev = { topic, frame, bodyOffset };
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'body_too_large') return { ok: false, code: 'too_large', message: err.message };
      throw err;
    }
    this.published++;
    return { ok: true, receivers: this.route(ev, origin) };
  }

  /**
   * A pre-minted envelope from inside the process (the NATS bridge, the heartbeat): kept
   * byte for byte (id and ts too), framed once, routed to everyone matching except
   * `origin`. Throws for caller bugs: an invalid topic, an envelope over 1 MiB. `count`
   * false leaves `published` alone (the broker's own heartbeat).
   */
  inject(topic: string, envelope: Buffer, origin?: object, count = true): number {
    validateTopic(topic);
    if (envelope.length > MAX_BODY_BYTES) throw new RangeError(`envelope for ${topic} is ${envelope.length} bytes; the limit is ${MAX_BODY_BYTES}`);
    const head = encodeFrameHead('EVT', topic, envelope.length);
    const frame = Buffer.allocUnsafe(head.length + envelope.length);
    head.copy(frame, 0);
    envelope.copy(frame, head.length);
    if (count) this.published++;
    return this.route({ topic, frame, bodyOffset: head.length }, origin);
  }

  /**
   * An in-process listener on `pattern`, called synchronously during routing with the
   * shared envelope bytes (the broker never reuses them, so a listener may keep them; it
   * must not mutate them). `origin` is the token whose injected events it must not hear
   * back (a bridge passes the same token to `inject`); by default the returned detach
   * function itself. Returns the detach function.
   */
  attachLocal(pattern: string, onEnvelope: (topic: string, envelope: Buffer) => void, origin?: object): () => void {
    validatePattern(pattern);
    let detached = false;
    const detach = (): void => {
      if (detached) return;
      detached = true;
      this.index.remove(pattern, receiver);
    };
    const receiver = new LocalReceiver(origin ?? detach, onEnvelope, this.log);
    this.index.add(pattern, receiver);
    return detach;
  }

  /**
   * Delivers `ev` once to every matching receiver but the origin; returns how many. A
   * route started from inside a delivery waits until the current pass ends (returning 0),
   * so the dedupe stamps of one pass are never interleaved with another's.
   */
  private route(ev: RoutedEvent, origin: object | undefined): number {
    if (this.routing) {
      this.nested.push({ ev, origin });
      return 0;
    }
    this.routing = true;
    try {
      const n = this.pass(ev, origin);
      for (let next = this.nested.shift(); next !== undefined; next = this.nested.shift()) this.pass(next.ev, next.origin);
      return n;
    } finally {
      this.routing = false;
      this.nested.length = 0;
    }
  }

  private pass(ev: RoutedEvent, origin: object | undefined): number {
    const seq = ++this.seq;
    let n = 0;
    this.index.forEachMatch(ev.topic, (r) => {
      if (r.routeSeq === seq) return;
      r.routeSeq = seq;
      if (r.origin === origin) return;
      n++;
      r.deliver(ev);
    });
    this.delivered += n;
    return n;
  }
}

/** Why `subject` is refused, for an ERR body (the grammar's own message). Rare path. */
export function topicReason(subject: string, pattern: boolean): string {
  try {
    if (pattern) validatePattern(subject);
    else validateTopic(subject);
  } catch (err) {
    if (err instanceof TopicError) return err.message;
  }
  return `invalid ${pattern ? 'pattern' : 'topic'} ${JSON.stringify(subject)}`;
}
