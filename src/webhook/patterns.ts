/**
 * What a subscription listens to (eventplane.md §4.2): simple events, expanded at the
 * API boundary only, then advanced bus patterns, in the given order, exact duplicates
 * and empty strings dropped. And the warnings a subscription's response carries.
 */
import { covers, isValidPattern, topics } from '../bus/index.js';

/** Simple events and the patterns they stand for. */
export const SIMPLE_EVENTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  AttackerDetail: [`${topics.ATTACKER}.>`],
  DeckyStatus: [`${topics.DECKY}.*.${topics.DECKY_STATE}`, `${topics.DECKY}.*.${topics.DECKY_TRAFFIC}`],
  /** High volume: every heartbeat, control and `system.log` batch. */
  SystemStatus: [`${topics.SYSTEM}.>`],
});

/** Advanced patterns per subscription (CORRECTIONS #6.9: the limit counts advanced patterns only). */
export const MAX_ADVANCED_PATTERNS = 32;

/** A bad pattern list (the API answers 400 with this message). */
export class PatternError extends Error {
  override readonly name = 'PatternError';
}

/** Expands and merges; throws PatternError naming an unknown simple event or a bad pattern. */
export function buildPatterns(simpleEvents: readonly string[] | undefined, advanced: readonly string[] | undefined): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    if (p !== '' && !out.includes(p)) out.push(p);
  };
  for (const name of simpleEvents ?? []) {
    const expansion = Object.hasOwn(SIMPLE_EVENTS, name) ? SIMPLE_EVENTS[name] : undefined;
    if (!expansion) throw new PatternError(`unknown simple event ${JSON.stringify(name)}; known: ${Object.keys(SIMPLE_EVENTS).join(', ')}`);
    expansion.forEach(add);
  }
  const given = [...new Set((advanced ?? []).filter((p) => p !== ''))];
  if (given.length > MAX_ADVANCED_PATTERNS) throw new PatternError(`at most ${MAX_ADVANCED_PATTERNS} topic_patterns, got ${given.length}`);
  for (const p of given) {
    if (!isValidPattern(p)) throw new PatternError(`invalid topic pattern ${JSON.stringify(p)}`);
    add(p);
  }
  return out;
}

/** Patterns that reach topics outside the journaled set (delivered at-most-once, only while the worker runs). */
export function notDurablePatterns(patterns: readonly string[], durable: readonly string[]): string[] {
  return patterns.filter((p) => !durable.some((d) => covers(d, p)));
}

export interface WarningInput {
  readonly url: string;
  readonly patterns: readonly string[];
  readonly durableTopics: readonly string[];
  /** Set when the stored secret could not be opened. */
  readonly secretUnreadable?: string | undefined;
}

/** `insecure_url: …`, `not_durable: …`, `secret_unreadable: …`. */
export function webhookWarnings(input: WarningInput): string[] {
  const warnings: string[] = [];
  if (/^http:/i.test(input.url)) warnings.push('insecure_url: the body travels in clear over http://; the signature still detects tampering');
  const loose = notDurablePatterns(input.patterns, input.durableTopics);
  if (loose.length > 0) warnings.push(`not_durable: ${loose.join(', ')}`);
  if (input.secretUnreadable !== undefined) warnings.push(`secret_unreadable: ${input.secretUnreadable}; set a new secret with PATCH`);
  return warnings;
}
