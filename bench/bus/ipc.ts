/**
 * The messages between the bench's main process and its workers (child_process.fork,
 * `serialization: 'advanced'`, so typed arrays cross as they are).
 *
 * Requests carry an id and get exactly one reply; notices are one-way (a subscriber's
 * progress going up, a publisher's credit coming down).
 */
import type { RunPlan, RunResult } from './publisher.js';
import type { PhaseSummary } from './tally.js';

/** How a worker reaches the bus under test. */
export interface Endpoint {
  readonly transport: 'unix' | 'nats';
  /** `decnet`: our client; `raw`: frames written and read with the codec, or the official NATS client. */
  readonly client: 'decnet' | 'raw';
  readonly socketPath: string;
  readonly natsServer: string;
}

export interface SubscriberSpec {
  readonly endpoint: Endpoint;
  readonly topic: string;
  readonly publishers: number;
  /** Bound of our client's subscription queue (events). */
  readonly queue: number;
  /** Latency samples kept per phase. */
  readonly reservoir: number;
  /** Progress notice every this many events. */
  readonly reportEvery: number;
}

export interface PublisherSpec {
  readonly endpoint: Endpoint;
  readonly topic: string;
  /** This publisher's index (payload `p`). */
  readonly index: number;
  readonly payloadBytes: number;
}

export interface BrokerSample {
  /** process.cpuUsage() of the broker process (µs). */
  readonly cpuUser: number;
  readonly cpuSystem: number;
  /** process.memoryUsage().rss of the broker process (bytes). */
  readonly rss: number;
  readonly connections: number;
  readonly subscriptions: number;
  readonly published: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly refused: number;
}

export type Request =
  | { readonly op: 'broker.start'; readonly socketPath: string }
  | { readonly op: 'broker.sample' }
  | { readonly op: 'sub.open'; readonly spec: SubscriberSpec }
  | { readonly op: 'sub.count'; readonly phase: number }
  | { readonly op: 'sub.summary'; readonly phase: number }
  | { readonly op: 'pub.open'; readonly spec: PublisherSpec }
  | { readonly op: 'pub.run'; readonly plan: RunPlan }
  | {
      readonly op: 'routing.open';
      readonly spec: SubscriberSpec;
      /** Connections holding the subscriptions; the first one holds the matching pattern. */
      readonly connections: number;
      /** Subscriptions in all, the matching one included. */
      readonly subscriptions: number;
    }
  | { readonly op: 'idle.open'; readonly socketPath: string; readonly clients: number; readonly stallPattern: string }
  | { readonly op: 'close' };

export interface Replies {
  'broker.start': { readonly pid: number };
  'broker.sample': BrokerSample;
  'sub.open': { readonly pid: number };
  'sub.count': { readonly count: number };
  'sub.summary': PhaseSummary;
  'pub.open': { readonly pid: number };
  'pub.run': RunResult;
  'routing.open': { readonly patterns: number };
  'idle.open': { readonly connected: number };
  close: { readonly closed: number };
}

export type Op = Request['op'];
export type RequestOf<K extends Op> = Extract<Request, { op: K }>;

export type Notice = { readonly kind: 'progress'; readonly phase: number; readonly seen: number[] } | { readonly kind: 'credit'; readonly phase: number; readonly seen: number };

/** Main → worker. */
export type Down = { readonly id: number; readonly req: Request } | { readonly notice: Notice };
/** Worker → main. */
export type Up =
  | { readonly started: number }
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }
  | { readonly notice: Notice };
