/**
 * The topic grammar (spec/bus.md §2): NATS subjects, with stricter rules so that
 * nothing surprising reaches a transport.
 *
 * - token: non-empty printable ASCII (0x21–0x7E) without `.`; in a topic it holds no
 *   `*` or `>` at all; in a pattern a whole token may be `*`, and the last may be `>`.
 * - at most 16 tokens and 512 bytes.
 */
import { TopicError } from './errors.js';

export const MAX_TOPIC_TOKENS = 16;
export const MAX_TOPIC_BYTES = 512;

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

/** Returns a reason when `subject` breaks the grammar, else undefined. Never throws. */
function check(subject: string, allowWildcards: boolean): TopicError | undefined {
  if (typeof subject !== 'string') return new TopicError(String(subject), 'is not a string');
  if (subject.length === 0) return new TopicError(subject, 'is empty');
  // length counts UTF-16 units; every valid char is ASCII so units == bytes when valid
  if (subject.length > MAX_TOPIC_BYTES) return new TopicError(subject.slice(0, 64) + '…', `is longer than ${MAX_TOPIC_BYTES} bytes`);
  let tokens = 0;
  let start = 0;
  for (let i = 0; i <= subject.length; i++) {
    const c = i === subject.length ? DOT : subject.charCodeAt(i);
    if (c !== DOT) {
      if (c < 0x21 || c > 0x7e) {
        const token = tokenAt(subject, start);
        const what = c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d ? 'contains whitespace' : `contains a character outside printable ASCII (U+${c.toString(16).padStart(4, '0').toUpperCase()})`;
        return new TopicError(subject, what, token);
      }
      continue;
    }
    const len = i - start;
    tokens++;
    if (len === 0) return new TopicError(subject, 'has an empty token (leading, trailing or doubled dot)');
    let hasWild = false;
    for (let j = start; j < i; j++) {
      const t = subject.charCodeAt(j);
      if (t === STAR || t === GT) hasWild = true;
    }
    if (hasWild) {
      const token = subject.slice(start, i);
      if (!allowWildcards) return new TopicError(subject, 'is a wildcard; a published topic may not contain `*` or `>`', token);
      if (len !== 1) return new TopicError(subject, 'mixes a wildcard with other characters; `*` and `>` must be whole tokens', token);
      if (token === '>' && i !== subject.length) return new TopicError(subject, 'is `>` before the last token; `>` may only end a pattern', token);
    }
    start = i + 1;
  }
  if (tokens > MAX_TOPIC_TOKENS) return new TopicError(subject, `has ${tokens} tokens; at most ${MAX_TOPIC_TOKENS} are allowed`);
  return undefined;
}

function tokenAt(subject: string, start: number): string {
  const end = subject.indexOf('.', start);
  return subject.slice(start, end === -1 ? undefined : end);
}

/** Throws a TopicError naming the bad token when `topic` is not a publishable topic. */
export function validateTopic(topic: string): void {
  const err = check(topic, false);
  if (err) throw err;
}

/** Throws a TopicError naming the bad token when `pattern` is not a valid pattern. */
export function validatePattern(pattern: string): void {
  const err = check(pattern, true);
  if (err) throw err;
}

export function isValidTopic(topic: string): boolean {
  return check(topic, false) === undefined;
}

export function isValidPattern(pattern: string): boolean {
  return check(pattern, true) === undefined;
}

/**
 * Does `topic` match `pattern`? Pure; does not validate either argument (validate
 * at the boundary). `*` is one token, a final `>` one or more.
 */
export function matches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return i === p.length - 1 && t.length > i;
    if (i >= t.length) return false;
    if (tok !== '*' && tok !== t[i]) return false;
  }
  return p.length === t.length;
}

/** Is there at least one topic that matches both patterns? */
export function overlaps(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const s = x[i];
    const u = y[i];
    // `>` eats the rest; both sides still have a token at i, so the rest can agree
    if (s === '>' || u === '>') return true;
    if (s !== '*' && u !== '*' && s !== u) return false;
  }
  if (x.length === y.length) return true;
  // the longer one may only continue if the shorter ended in `>` (handled above)
  return false;
}

/** Does every topic that matches `b` also match `a`? (`a` covers `b`.) */
export function covers(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < x.length; i++) {
    const s = x[i];
    if (s === '>') return y.length > i; // b has at least one token here, whatever it is
    if (i >= y.length) return false;
    const u = y[i];
    if (u === '>') return false; // b reaches deeper than a fixed position of a
    if (s === '*') continue;
    if (u === '*' || u !== s) return false;
  }
  return x.length === y.length;
}
