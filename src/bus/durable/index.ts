/**
 * Durable topics (bus.md §5): the JetStream stream, its settings, and the two
 * implementations of `bus.durable()` (at-least-once on NATS, at-most-once elsewhere).
 */
export { DEFAULT_ACK_WAIT_SECS, DEFAULT_STREAM_MAX_AGE_HOURS, DEFAULT_STREAM_MAX_BYTES, DEFAULT_STREAM_NAME, defaultStreamSettings, streamSettingsFrom, type DurableEnv, type StreamSettings } from './settings.js';
export { ensureConsumer, ensureStream, type EnsureResult } from './stream.js';
export { consumerName, minimalCover, validateDurableName } from './names.js';
export { DEFAULT_DURABLE_BATCH, liveDurable, type LiveSource } from './at-most-once.js';
export { jetStreamDurable, type JetStreamHost } from './jetstream.js';
