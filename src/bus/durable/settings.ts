/**
 * The durable-topics settings (CORRECTIONS #4.1) and their defaults. Kept free of NATS
 * imports so the environment reader and the unix/memory paths never load the client.
 */
import { DEFAULT_DURABLE_PATTERNS } from '../topics/durable.js';

export const DEFAULT_STREAM_NAME = 'DECNET_EVENTS';
export const DEFAULT_STREAM_MAX_AGE_HOURS = 168;
export const DEFAULT_STREAM_MAX_BYTES = 1024 ** 3;
export const DEFAULT_ACK_WAIT_SECS = 30;

/** Where durable events are kept and how long; `patterns: []` turns the stream off. */
export interface StreamSettings {
  readonly name: string;
  readonly patterns: readonly string[];
  /** 0: no age limit. */
  readonly maxAgeMs: number;
  /** 0: no size limit. */
  readonly maxBytes: number;
  /** How long a delivered, unacked event waits before it is redelivered. */
  readonly ackWaitMs: number;
}

/** What `readBusEnv` yields for the stream (the subset this module reads). */
export interface DurableEnv {
  readonly durableTopics: readonly string[];
  readonly natsStream: string;
  readonly natsStreamMaxAgeHours: number;
  readonly natsStreamMaxBytes: number;
  readonly natsAckWaitSecs: number;
}

export function streamSettingsFrom(env: DurableEnv): StreamSettings {
  return {
    name: env.natsStream,
    patterns: [...env.durableTopics],
    maxAgeMs: env.natsStreamMaxAgeHours * 3_600_000,
    maxBytes: env.natsStreamMaxBytes,
    ackWaitMs: env.natsAckWaitSecs * 1000,
  };
}

/** DECNET_EVENTS over the default durable set, with the default limits. */
export function defaultStreamSettings(): StreamSettings {
  return {
    name: DEFAULT_STREAM_NAME,
    patterns: [...DEFAULT_DURABLE_PATTERNS],
    maxAgeMs: DEFAULT_STREAM_MAX_AGE_HOURS * 3_600_000,
    maxBytes: DEFAULT_STREAM_MAX_BYTES,
    ackWaitMs: DEFAULT_ACK_WAIT_SECS * 1000,
  };
}
