/**
 * Pattern filtering for journal reads: a coarse SQL filter (exact topics, and the
 * literal prefix before a pattern's first wildcard as `LIKE 'prefix.%'`), then the exact
 * check in JS with the bus's `matches`. The SQL part only narrows; SQLite's LIKE is
 * case-insensitive, which lets a few extra rows through to the JS check, never fewer.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { matches, validatePattern } from '../../bus/index.js';
import type { Database } from '../schema.js';

export interface TopicFilter {
  /** Does this topic pass? */
  test(topic: string): boolean;
  /** The SQL narrowing, or undefined when every topic may match. */
  where(eb: ExpressionBuilder<Database, 'events'>): Expression<SqlBool> | undefined;
}

const ALL: TopicFilter = { test: () => true, where: () => undefined };

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A filter for `patterns` (validated; TopicError on a bad one); no patterns means every topic. */
export function topicFilter(patterns: readonly string[] | undefined): TopicFilter {
  if (patterns === undefined || patterns.length === 0) return ALL;
  for (const p of patterns) validatePattern(p);
  const exact: string[] = [];
  const prefixes: string[] = [];
  let unbounded = false;
  for (const p of patterns) {
    const tokens = p.split('.');
    const wild = tokens.findIndex((t) => t === '*' || t === '>');
    if (wild === -1) exact.push(p);
    else if (wild === 0) unbounded = true;
    else prefixes.push(`${tokens.slice(0, wild).join('.')}.`);
  }
  const list = [...patterns];
  return {
    test: (topic) => list.some((p) => matches(p, topic)),
    where: (eb) => {
      if (unbounded) return undefined;
      const terms: Expression<SqlBool>[] = [];
      if (exact.length > 0) terms.push(eb('topic', 'in', exact));
      for (const prefix of prefixes) terms.push(sql<SqlBool>`topic like ${`${escapeLike(prefix)}%`} escape '\\'`);
      return eb.or(terms);
    },
  };
}
