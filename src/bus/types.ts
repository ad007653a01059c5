/**
 * The client contract every transport implements (spec/bus.md §4). Workers are
 * written against `Bus` and never know which transport they run on.
 */
import type { Envelope } from './envelope.js';
import type { PreparedEvent } from './prepare.js';
import type { PayloadOf } from './topics/typed.js';

export type BusState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';
export type TransportName = 'unix' | 'memory' | 'null' | 'nats';

export type BusEvent = Envelope;

export interface StateChange {
  readonly state: BusState;
  readonly previous: BusState;
  /** True on the transition back to `connected` after a lost connection. */
  readonly reconnected: boolean;
}

export interface PublishOptions {
  /** Envelope type; defaults to the catalogue's constant for the topic (or ""). */
  readonly type?: string;
  /** A pre-minted id (journal events keep theirs end to end). */
  readonly id?: string;
  /** A pre-minted timestamp, epoch seconds. */
  readonly ts?: number;
}

export interface SubscribeOptions {
  /** Bound of this subscription's queue (events); the oldest are dropped past it. */
  readonly queue?: number;
}

export interface ConnectOptions {
  /** Reject with BusUnavailableError when not connected within this many ms (the bus keeps retrying). */
  readonly timeoutMs?: number;
}

export interface BusStats {
  published: number;
  delivered: number;
  dropped_offline: number;
  dropped_slow: number;
  reconnects: number;
  /** Payloads that failed their catalogue schema (counted in non-strict mode). */
  invalid_payloads: number;
  /** Publishes the broker refused (v2 `ERR`). */
  refused: number;
}

export interface Subscription extends AsyncIterable<BusEvent> {
  readonly pattern: string;
  /** Resolves when the transport routes the pattern (no later event is missed). */
  readonly ready: Promise<void>;
  /** Events dropped from this subscription's queue because the consumer fell behind. */
  readonly dropped: number;
  /** Idempotent; ends the iterator. */
  close(): Promise<void>;
}

/** One event of a durable subscription; `ack()` after the work is committed. */
export interface DurableMessage {
  readonly event: BusEvent;
  /** True when the server delivered this event before (at-least-once transports only). */
  readonly redelivered: boolean;
  /**
   * At-least-once: resolves once the server has recorded the ack (until then the event
   * may come again); rejects with BusUnavailableError when that cannot be confirmed.
   * At-most-once transports: a no-op. Idempotent.
   */
  ack(): Promise<void>;
}

export interface DurableOptions {
  /** First start of a consumer: only events from now on (default) or all the stream holds. */
  readonly deliver?: 'new' | 'all';
  /** Events buffered ahead of the consumer (pulled and not yet yielded). */
  readonly batch?: number;
}

/**
 * `bus.durable(name, patterns)` (bus.md §5, CORRECTIONS #4.6). On NATS a JetStream durable
 * consumer per pattern: unacked events are redelivered after the ack wait, also to the
 * next process that opens the same name (at-least-once). On unix, memory and null it is
 * a live subscription and `ack()` does nothing (at-most-once): never the only source for
 * a worker that promises no loss.
 */
export interface DurableSubscription extends AsyncIterable<DurableMessage> {
  readonly name: string;
  readonly patterns: readonly string[];
  readonly guarantee: 'at-least-once' | 'at-most-once';
  /**
   * Resolves when every pattern is consumed (no later event is missed), or once closed;
   * rejects (and the iterator throws) when it cannot start, e.g. no stream on the server.
   */
  readonly ready: Promise<void>;
  /** Idempotent; ends the iterator (unacked events stay unacked). */
  close(): Promise<void>;
}

export interface Bus {
  readonly transport: TransportName;
  /** The client name (HELLO, logs, stats). */
  readonly name: string;
  readonly state: BusState;
  /** Idempotent. */
  connect(opts?: ConnectOptions): Promise<void>;
  /**
   * Validates and sends; does not wait for receivers. Rejects only for caller
   * bugs (TopicError, PayloadError); transport trouble buffers or drops, counted.
   */
  publish<T extends string>(topic: T, payload: PayloadOf<T>, opts?: PublishOptions): Promise<void>;
  /**
   * Sends an event `prepareEvent` checked and serialised (the journal's live copies):
   * what `publish` does after its checks. Never throws; after close it drops, counted.
   */
  publishPrepared(event: PreparedEvent): void;
  /** Returns at once; throws TopicError synchronously for a bad pattern. */
  subscribe(pattern: string, opts?: SubscribeOptions): Subscription;
  /** Flushes what is written (≤ 1 s), ends every subscription. Idempotent. */
  close(): Promise<void>;
  /** Subscribes to state transitions; returns the unsubscribe function. */
  on(event: 'state', listener: (change: StateChange) => void): () => void;
  stats(): BusStats;
  /**
   * Consumes `patterns` under the durable `name` (letters, digits, `_`, `-`). Throws
   * TopicError for a bad pattern; on NATS, BusConfigError for a pattern outside the
   * durable topics (DECNET_DURABLE_TOPICS).
   */
  durable(name: string, patterns: string | readonly string[], opts?: DurableOptions): DurableSubscription;
}
