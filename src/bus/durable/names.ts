/**
 * Checks shared by every `durable()`: the consumer name, the pattern list, and the
 * JetStream consumer name derived from both (one consumer per pattern on 2.9, whose
 * consumers take one filter subject each: CORRECTIONS #4.2).
 */
import { createHash } from 'node:crypto';
import { covers, validatePattern } from '../grammar.js';

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws a RangeError unless `name` is 1–64 letters, digits, `_` or `-`. */
export function validateDurableName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new RangeError(`durable name must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(name)}`);
  }
}

/** Validates each pattern (TopicError) and drops exact repeats; at least one is required. */
export function normalizePatterns(patterns: string | readonly string[]): string[] {
  const list = typeof patterns === 'string' ? [patterns] : [...patterns];
  if (list.length === 0) throw new RangeError('durable() needs at least one pattern');
  for (const p of list) validatePattern(p);
  return [...new Set(list)];
}

/**
 * Drops patterns another pattern of the list already covers (a stream refuses
 * overlapping subjects, and a covered pattern adds nothing). Order is kept.
 */
export function minimalCover(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns)];
  // two distinct patterns never cover each other, so this keeps one of every chain
  return unique.filter((p, i) => !unique.some((q, j) => j !== i && covers(q, p)));
}

/** The JetStream durable for one pattern of `name`: stable across restarts and list order. */
export function consumerName(name: string, pattern: string): string {
  return `${name}_${createHash('sha256').update(pattern).digest('hex').slice(0, 12)}`;
}
