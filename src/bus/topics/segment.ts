/**
 * Composing a topic from fixed tokens and caller-supplied parts (CORRECTIONS #2.1).
 *
 * A **segment** (an id, a worker name, a rule or technique id) must be one token:
 * non-empty, with no `.`, `*`, `>` or whitespace (Unicode whitespace included), so an id
 * like `a.b` can never silently shift the hierarchy. A **leaf** (`session.ended`,
 * `motor.shell_mastery.tab_completion`) may be dotted, but each of its tokens obeys the
 * same rules. Then the whole topic is checked against the grammar (bus.md §2: printable
 * ASCII, ≤ 16 tokens, ≤ 512 bytes). Every failure is a `TopicError` whose token is the
 * offending part as the caller passed it and whose reason names the parameter.
 */
import { TopicError } from '../errors.js';
import { validateTopic } from '../grammar.js';

/** A caller-supplied part of a topic. */
export interface TopicPart {
  /** The parameter name, as in the catalogue templates (`topology_id`, `event_type`…). */
  readonly name: string;
  readonly value: string;
  /** A dotted leaf (several tokens) rather than a single segment. */
  readonly dotted: boolean;
}

export function segment(name: string, value: string): TopicPart {
  return { name, value, dotted: false };
}

export function leaf(name: string, value: string): TopicPart {
  return { name, value, dotted: true };
}

const WHITESPACE = /\s/u;

/** Why `token` cannot be a token of a topic, or undefined. */
function tokenProblem(token: string): string | undefined {
  if (token.length === 0) return 'is empty';
  for (const ch of token) {
    if (ch === '.') return 'contains "."';
    if (ch === '*' || ch === '>') return `contains the wildcard "${ch}"`;
    if (WHITESPACE.test(ch)) return 'contains whitespace';
  }
  return undefined;
}

function partProblem(part: TopicPart): string | undefined {
  if (typeof part.value !== 'string') return `is a ${typeof part.value}, not a string`;
  if (!part.dotted) return tokenProblem(part.value);
  if (part.value.length === 0) return 'is empty';
  for (const token of part.value.split('.')) {
    const why = tokenProblem(token);
    if (why) return token.length === 0 ? 'has an empty token (leading, trailing or doubled dot)' : `has a token ${JSON.stringify(token)} that ${why}`;
  }
  return undefined;
}

function invalid(topic: string, part: TopicPart, why: string): TopicError {
  return new TopicError(topic, `is not a valid ${part.name}: it ${why}`, String(part.value));
}

/**
 * Joins fixed tokens and parts with dots and returns the topic, or throws a TopicError
 * naming the bad part.
 */
export function composeTopic(parts: ReadonlyArray<string | TopicPart>): string {
  const topic = parts.map((p) => (typeof p === 'string' ? p : String(p.value))).join('.');
  const variable = parts.filter((p): p is TopicPart => typeof p !== 'string');
  for (const part of variable) {
    const why = partProblem(part);
    if (why) throw invalid(topic, part, why);
  }
  try {
    validateTopic(topic);
  } catch (err) {
    if (!(err instanceof TopicError)) throw err;
    // what remains is topic-wide (length, token count) or a character outside ASCII
    const culprit = err.token === undefined ? undefined : variable.find((p) => p.value === err.token || p.value.split('.').includes(err.token as string));
    if (culprit) throw invalid(topic, culprit, err.reason);
    throw new TopicError(err.subject, `${err.reason} (built from ${variable.map((p) => p.name).join(', ')})`);
  }
  return topic;
}
