/**
 * The service bus: topics, grammar, envelope, transports and worker helpers.
 * This folder imports nothing from the rest of src/.
 */
export * from './errors.js';
export * from './grammar.js';
export * from './envelope.js';
export * from './types.js';
export { SubscriptionIndex } from './subscription-index.js';
export { prepareEvent, withPayloadText, type PreparedEvent, type PrepareContext } from './prepare.js';
export { DEFAULT_SUBSCRIPTION_QUEUE } from './subscription-queue.js';
export { systemClock, FakeClock, isoFromEpochMs, type Clock, type TimerHandle } from './clock.js';
export { silentLogger, RateLimitedLog, type Logger } from './log.js';
export { MAX_SOCKET_PATH_BYTES, readBusEnv, readBool, readInt, readChoice, resolveSocketPath, decnetHome, TRANSPORTS, type BusEnv, type Env } from './env.js';
export { getBus, type GetBusOptions } from './factory.js';
export { MemoryBus, MemoryHub, processHub, type MemoryBusOptions } from './transports/memory.js';
export { NullBus } from './transports/null.js';
export { UnixBus, type UnixBusOptions } from './transports/unix.js';
export { Backoff } from './transports/backoff.js';
export type { BusOptions } from './base-bus.js';
export * from './helpers/index.js';
export * as topics from './topics/index.js';
export type { TypedTopic, PayloadOf } from './topics/typed.js';
export { NatsBus, type NatsBusOptions } from './transports/nats.js';
export * as durable from './durable/index.js';
export { defaultStreamSettings, streamSettingsFrom, type StreamSettings } from './durable/settings.js';
export { readPatterns, readStreamName } from './env.js';
export { startBridge, bridgeSettings, type Bridge, type BridgeArgs, type BridgeBroker, type BridgeOptions, type BridgeStats } from './bridge/index.js';
