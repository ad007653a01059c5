/**
 * The client contract every transport implements (spec/bus.md §4). Workers are
 * written against `Bus` and never know which transport they run on.
 */
import type { Envelope } from './envelope.js';
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
  /** Returns at once; throws TopicError synchronously for a bad pattern. */
  subscribe(pattern: string, opts?: SubscribeOptions): Subscription;
  /** Flushes what is written (≤ 1 s), ends every subscription. Idempotent. */
  close(): Promise<void>;
  /** Subscribes to state transitions; returns the unsubscribe function. */
  on(event: 'state', listener: (change: StateChange) => void): () => void;
  stats(): BusStats;
}
