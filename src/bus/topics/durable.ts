/**
 * The default durable set (bus.md §5, eventplane.md §1.5): topics whose events must not
 * be lost. They go to the JetStream stream on NATS and to the event journal, where
 * consumers that need every event (webhooks, resumable streams) read them; their live
 * copy only wakes consumers. `DECNET_DURABLE_TOPICS` overrides the set in one place for
 * both (CORRECTIONS #4.1); this module only holds the default and the test.
 */
import { matches } from '../grammar.js';

export const DEFAULT_DURABLE_PATTERNS: readonly string[] = Object.freeze(['credential.>', 'ttp.>', 'canary.*.triggered', 'attacker.session.ended', 'email.received']);

/** Is `topic` in the durable set given by `patterns` (default: the set above)? */
export function isDurableTopic(topic: string, patterns: readonly string[] = DEFAULT_DURABLE_PATTERNS): boolean {
  return patterns.some((pattern) => matches(pattern, topic));
}
