import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { covers, isValidPattern, isValidTopic, matches, overlaps, TopicError, validatePattern, validateTopic } from '../../src/bus/index.js';
import { arbPattern, arbTopic } from '../support/arbitraries.js';

describe('matches (spec/bus.md §2 table)', () => {
  const table: Array<[string, string, boolean]> = [
    ['topology.abc.mutation.applied', 'topology.abc.mutation.applied', true],
    ['topology.*.mutation.applied', 'topology.abc.mutation.applied', true],
    ['topology.*.mutation.*', 'topology.abc.mutation.applied', true],
    ['topology.>', 'topology.abc.status', true],
    ['system.*.health', 'system.bus.health', true],
    ['topology.*', 'topology.abc.mutation.applied', false],
    ['topology.>', 'topology', false],
    ['decky.*.state', 'decky.state', false],
    ['a.b.c', 'a.b', false],
    ['a.b', 'a.b.c', false],
    ['ttp.>', 'ttp.rule.fired.T1110', true],
    ['ttp.rule.fired.>', 'ttp.rule.fired', false],
  ];
  it.each(table)('%s vs %s → %s', (pattern, topic, expected) => {
    expect(matches(pattern, topic)).toBe(expected);
  });
  it('is case-sensitive', () => {
    expect(matches('A.b', 'a.b')).toBe(false);
  });
});

describe('topic and pattern validation', () => {
  const badTopics: Array<[string, RegExp]> = [
    ['', /is empty/],
    ['a..b', /empty token/],
    ['.a', /empty token/],
    ['a.', /empty token/],
    ['a.*', /token "\*" is a wildcard/],
    ['a.>', /token ">" is a wildcard/],
    ['a.b*c', /token "b\*c" is a wildcard/],
    ['a.b c', /token "b c" contains whitespace/],
    ['a.b\tc', /contains whitespace/],
    ['a.é', /token "é" contains a character outside printable ASCII \(U\+00E9\)/],
    ['a.\u0000', /outside printable ASCII/],
    [Array.from({ length: 17 }, () => 't').join('.'), /17 tokens; at most 16/],
    ['x'.repeat(513), /longer than 512 bytes/],
  ];
  it.each(badTopics)('refuses topic %j with a reason', (topic, reason) => {
    expect(() => validateTopic(topic)).toThrow(TopicError);
    expect(() => validateTopic(topic)).toThrow(reason);
    expect(isValidTopic(topic)).toBe(false);
  });

  it('names the offending token on the error', () => {
    try {
      validateTopic('good.b@d token.ok');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TopicError);
      expect((err as TopicError).token).toBe('b@d token');
    }
  });

  it('accepts the odd but legal characters of the catalogue (`:`, `-`, `_`, upper case)', () => {
    for (const t of ['decky.host-1:web_01.state', 'ttp.rule.fired.T1110', 'a', Array.from({ length: 16 }, () => 't').join('.')]) {
      expect(() => validateTopic(t)).not.toThrow();
    }
  });

  const badPatterns: Array<[string, RegExp]> = [
    ['a.>.b', /`>` may only end a pattern/],
    ['a.*b', /must be whole tokens/],
    ['a.b>', /must be whole tokens/],
    ['a..*', /empty token/],
    ['>x', /must be whole tokens/],
  ];
  it.each(badPatterns)('refuses pattern %j', (pattern, reason) => {
    expect(() => validatePattern(pattern)).toThrow(reason);
    expect(isValidPattern(pattern)).toBe(false);
  });

  it('accepts whole-token wildcards', () => {
    for (const p of ['>', '*', 'a.*', '*.b.>', 'a.*.*.>']) expect(isValidPattern(p)).toBe(true);
  });

  it('accepts every generated topic and pattern (property)', () => {
    fc.assert(fc.property(arbTopic, (t) => isValidTopic(t) && isValidPattern(t)));
    fc.assert(fc.property(arbPattern, (p) => isValidPattern(p)));
  });
});

/** Every concrete topic that can match a pattern of these small alphabets, up to depth 4. */
function* topicsUpTo(depth: number, alphabet: string[]): Generator<string> {
  function* rec(prefix: string[]): Generator<string> {
    if (prefix.length > 0) yield prefix.join('.');
    if (prefix.length === depth) return;
    for (const t of alphabet) yield* rec([...prefix, t]);
  }
  yield* rec([]);
}

describe('overlaps and covers', () => {
  const alphabet = ['a', 'b'];
  const universe = [...topicsUpTo(4, alphabet)];
  const smallPattern = fc
    .array(fc.constantFrom('a', 'b', '*'), { minLength: 1, maxLength: 3 })
    .chain((toks) => fc.boolean().map((gt) => (gt ? [...toks, '>'] : toks).join('.')));

  it('overlaps(a, b) holds exactly when some topic matches both (property, exhaustive universe)', () => {
    fc.assert(
      fc.property(smallPattern, smallPattern, (a, b) => {
        const truth = universe.some((t) => matches(a, t) && matches(b, t));
        return overlaps(a, b) === truth;
      }),
      { numRuns: 500 },
    );
  });

  it('covers(a, b) holds exactly when every topic matching b matches a (property, exhaustive universe)', () => {
    fc.assert(
      fc.property(smallPattern, smallPattern, (a, b) => {
        // patterns reach depth ≤ 4 tokens with `>` adding one; the universe goes to 4, enough to tell
        const truth = universe.filter((t) => matches(b, t)).every((t) => matches(a, t));
        return covers(a, b) === truth;
      }),
      { numRuns: 500 },
    );
  });

  it('pins the cases the SSE viewer filter relies on', () => {
    expect(covers('smtp.>', 'smtp.probe.pending')).toBe(true);
    expect(covers('smtp.probe.pending', 'smtp.>')).toBe(false);
    expect(overlaps('smtp.probe.pending', '>')).toBe(true);
    expect(covers('smtp.probe.pending', '>')).toBe(false);
    expect(covers('>', 'a.*.c')).toBe(true);
    expect(overlaps('a.*', 'b.*')).toBe(false);
  });
});
