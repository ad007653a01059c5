/** The condition grammar (ttp.md §2.2): precedence, quantifiers, errors with columns, and a round-trip property. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, evaluateCondition, parseCondition, resolveCondition, type CondAst, type CondExpr } from '../../src/ttp/condition.js';

const NAMES = ['sel', 'sel_two', 'filter', 'other'];

function evalText(text: string, values: Record<string, boolean>, names = NAMES): boolean {
  const { expr, unknown } = resolveCondition(parseCondition(text), names);
  expect(unknown).toEqual([]);
  return evaluateCondition(expr, names.map((n) => values[n] === true));
}

describe('condition grammar', () => {
  it('not binds tighter than and, and tighter than or', () => {
    // not sel and filter  ==  (not sel) and filter
    expect(evalText('not sel and filter', { sel: false, filter: true })).toBe(true);
    expect(evalText('not sel and filter', { sel: true, filter: true })).toBe(false);
    // sel or filter and other  ==  sel or (filter and other)
    expect(evalText('sel or filter and other', { sel: true })).toBe(true);
    expect(evalText('sel or filter and other', { filter: true })).toBe(false);
    expect(evalText('(sel or filter) and other', { sel: true })).toBe(false);
    expect(evalText('not not sel', { sel: true })).toBe(true);
  });

  it('quantifiers: 1 of, any of, all of, prefixes and them', () => {
    expect(evalText('1 of sel*', { sel_two: true })).toBe(true);
    expect(evalText('any of sel*', {})).toBe(false);
    expect(evalText('all of sel*', { sel: true })).toBe(false);
    expect(evalText('all of sel*', { sel: true, sel_two: true })).toBe(true);
    expect(evalText('all of them', { sel: true, sel_two: true, filter: true, other: true })).toBe(true);
    expect(evalText('1 of them and not filter', { other: true })).toBe(true);
  });

  it('reports unknown names and prefixes that match nothing, with columns', () => {
    const { unknown } = resolveCondition(parseCondition('sel or nope or 1 of x*'), NAMES);
    expect(unknown).toEqual([
      { name: 'nope', column: 8 },
      { name: 'x*', column: 16 },
    ]);
  });

  it.each([
    ['sel and', 8],
    ['sel sel', 5],
    ['(sel', 5],
    ['sel)', 4],
    ['1 sel', 3],
    ['all of sel', 11],
    ['sel*', 1],
    ['sel & filter', 5],
    ['', 1],
    ['and', 1],
  ])('syntax error in %j at column %i', (text, column) => {
    expect(() => parseCondition(text)).toThrow(ConditionSyntaxError);
    try {
      parseCondition(text);
    } catch (err) {
      expect((err as ConditionSyntaxError).column).toBe(column);
    }
  });
});

/** Prints an AST fully parenthesised, the way a rule author might write it. */
function print(n: CondAst): string {
  switch (n.t) {
    case 'sel':
      return n.name;
    case 'not':
      return `not ${print(n.item)}`;
    case 'quant':
      return `${n.all ? 'all' : '1'} of ${n.prefix === null ? 'them' : `${n.prefix}*`}`;
    default:
      return `(${n.items.map(print).join(` ${n.t} `)})`;
  }
}

function reference(n: CondAst, values: readonly boolean[], names: readonly string[]): boolean {
  switch (n.t) {
    case 'sel':
      return values[names.indexOf(n.name)] === true;
    case 'not':
      return !reference(n.item, values, names);
    case 'quant': {
      const hits = names.map((name, i) => ({ name, v: values[i] === true })).filter((x) => n.prefix === null || x.name.startsWith(n.prefix));
      return n.all ? hits.every((h) => h.v) : hits.some((h) => h.v);
    }
    case 'and':
      return n.items.every((i) => reference(i, values, names));
    case 'or':
      return n.items.some((i) => reference(i, values, names));
  }
}

const astArb: fc.Arbitrary<CondAst> = fc.letrec<{ node: CondAst }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...NAMES).map((name): CondAst => ({ t: 'sel', name, column: 0 })),
    fc.record({ all: fc.boolean(), prefix: fc.constantFrom<string | null>(null, 'sel', 'o') }).map((q): CondAst => ({ t: 'quant', all: q.all, prefix: q.prefix, column: 0 })),
    tie('node').map((item): CondAst => ({ t: 'not', item })),
    fc.record({ t: fc.constantFrom<'and' | 'or'>('and', 'or'), items: fc.array(tie('node'), { minLength: 2, maxLength: 3 }) }).map((x): CondAst => x),
  ),
})).node;

describe('condition properties', () => {
  it('printing and parsing preserves meaning for every assignment', () => {
    fc.assert(
      fc.property(astArb, fc.array(fc.boolean(), { minLength: NAMES.length, maxLength: NAMES.length }), (ast, values) => {
        const { expr } = resolveCondition(parseCondition(print(ast)), NAMES);
        return evaluateCondition(expr as CondExpr, values) === reference(ast, values, NAMES);
      }),
      { numRuns: 500 },
    );
  });

  it('the parser never throws anything but ConditionSyntaxError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseCondition(text);
        } catch (err) {
          return err instanceof ConditionSyntaxError && err.column >= 1;
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
