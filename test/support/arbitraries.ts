/** fast-check arbitraries for topics and patterns (small alphabets so that matches happen). */
import fc from 'fast-check';

export const arbToken = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'attacker', 'system', 'T1110', 'host:web-01', 'x_y'),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019:-_!#~'.split('')), minLength: 1, maxLength: 6 }),
);

export const arbTopic = fc.array(arbToken, { minLength: 1, maxLength: 6 }).map((t) => t.join('.'));

export const arbPattern = fc
  .tuple(fc.array(fc.oneof({ weight: 3, arbitrary: arbToken }, { weight: 1, arbitrary: fc.constant('*') }), { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([toks, gt]) => (gt ? [...toks.slice(0, -1), '>'] : toks).join('.'));
