/**
 * The topics module's public surface: leaf constants, builders, payload types, the
 * catalogue and its lookup, payload validation and the default durable set.
 */
export * from './constants.js';
export * from './builders.js';
export type * from './payloads.js';
export { TOPIC_CATALOGUE, findTopicEntry } from './catalogue.js';
export type { TopicEntry } from './entry.js';
export { validatePayload, type PayloadVerdict } from './validate.js';
export { DEFAULT_DURABLE_PATTERNS, isDurableTopic } from './durable.js';
export { FINGERPRINT_KINDS } from './schemas/attacker.js';
export type { PayloadOf, TypedTopic } from './typed.js';
