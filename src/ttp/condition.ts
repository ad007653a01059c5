/**
 * The condition grammar (ttp.md §2.2), used by `detection.condition`, sequence steps and
 * emits' `when`:
 *
 *   expr   := term ("or" term)*          precedence: not > and > or
 *   term   := factor ("and" factor)*
 *   factor := "not" factor | "(" expr ")" | quant | NAME
 *   quant  := ("1" | "any" | "all") "of" (NAME "*" | "them")
 *
 * Parsing is separate from resolution: `parseCondition` gives an AST with columns,
 * `resolveCondition` expands quantifiers against the rule's selection names.
 */

export type CondAst =
  | { readonly t: 'or' | 'and'; readonly items: readonly CondAst[] }
  | { readonly t: 'not'; readonly item: CondAst }
  | { readonly t: 'sel'; readonly name: string; readonly column: number }
  /** `prefix` null means `them`. */
  | { readonly t: 'quant'; readonly all: boolean; readonly prefix: string | null; readonly column: number };

/** A condition over selection indices, after quantifiers are expanded. */
export type CondExpr =
  | { readonly t: 'or' | 'and'; readonly items: readonly CondExpr[] }
  | { readonly t: 'not'; readonly item: CondExpr }
  | { readonly t: 'ref'; readonly index: number }
  | { readonly t: 'const'; readonly value: boolean };

export class ConditionSyntaxError extends Error {
  override readonly name = 'ConditionSyntaxError';
  constructor(
    message: string,
    /** 1-based column in the condition text. */
    readonly column: number,
  ) {
    super(message);
  }
}

interface Token {
  readonly kind: 'name' | 'star' | 'lparen' | 'rparen' | 'one';
  readonly text: string;
  readonly column: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'any', 'all']);

function isNameStart(c: string): boolean {
  return c >= 'a' && c <= 'z';
}
function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9') || c === '_';
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const column = i + 1;
    if (c === '(') out.push({ kind: 'lparen', text: c, column });
    else if (c === ')') out.push({ kind: 'rparen', text: c, column });
    else if (c === '*') out.push({ kind: 'star', text: c, column });
    else if (c === '1' && !isNameChar(text[i + 1] ?? ' ')) out.push({ kind: 'one', text: c, column });
    else if (isNameStart(c)) {
      let j = i + 1;
      while (j < text.length && isNameChar(text[j] as string)) j++;
      out.push({ kind: 'name', text: text.slice(i, j), column });
      i = j;
      continue;
    } else throw new ConditionSyntaxError(`unexpected \`${c}\` at column ${column}`, column);
    i++;
  }
  return out;
}

class CondParser {
  private i = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly end: number,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private isWord(w: string): boolean {
    const t = this.peek();
    return t?.kind === 'name' && t.text === w;
  }
  private fail(expected: string): never {
    const t = this.peek();
    const column = t?.column ?? this.end;
    throw new ConditionSyntaxError(`expected ${expected} at column ${column}${t ? `, got \`${t.text}\`` : ', got the end'}`, column);
  }

  parse(): CondAst {
    if (this.tokens.length === 0) throw new ConditionSyntaxError('the condition is empty', 1);
    const e = this.expr();
    if (this.peek() !== undefined) this.fail('`and`, `or` or `)`');
    return e;
  }

  private expr(): CondAst {
    const items = [this.term()];
    while (this.isWord('or')) {
      this.i++;
      items.push(this.term());
    }
    return items.length === 1 ? (items[0] as CondAst) : { t: 'or', items };
  }

  private term(): CondAst {
    const items = [this.factor()];
    while (this.isWord('and')) {
      this.i++;
      items.push(this.factor());
    }
    return items.length === 1 ? (items[0] as CondAst) : { t: 'and', items };
  }

  private factor(): CondAst {
    const t = this.peek();
    if (t === undefined) this.fail('a selection, `not`, `(` or a quantifier');
    if (t.kind === 'lparen') {
      this.i++;
      const e = this.expr();
      if (this.peek()?.kind !== 'rparen') this.fail('`)`');
      this.i++;
      return e;
    }
    if (t.kind === 'name' && t.text === 'not') {
      this.i++;
      return { t: 'not', item: this.factor() };
    }
    if (t.kind === 'one' || (t.kind === 'name' && (t.text === 'any' || t.text === 'all'))) return this.quant(t);
    if (t.kind === 'name' && !KEYWORDS.has(t.text)) {
      this.i++;
      if (this.peek()?.kind === 'star') throw new ConditionSyntaxError(`\`${t.text}*\` needs a quantifier: \`1 of ${t.text}*\``, t.column);
      return { t: 'sel', name: t.text, column: t.column };
    }
    this.fail('a selection, `not`, `(` or a quantifier');
  }

  private quant(q: Token): CondAst {
    this.i++;
    if (!this.isWord('of')) this.fail('`of`');
    this.i++;
    const target = this.peek();
    if (target?.kind !== 'name' || (KEYWORDS.has(target.text) && target.text !== 'them')) this.fail('a selection prefix with `*`, or `them`');
    this.i++;
    if (target.text === 'them') return { t: 'quant', all: q.text === 'all', prefix: null, column: q.column };
    if (this.peek()?.kind !== 'star') this.fail('`*` after the prefix');
    this.i++;
    return { t: 'quant', all: q.text === 'all', prefix: target.text, column: q.column };
  }
}

/** Parses a condition; throws ConditionSyntaxError with a column. */
export function parseCondition(text: string): CondAst {
  return new CondParser(tokenize(text), text.length + 1).parse();
}

export interface UnresolvedRef {
  readonly name: string;
  readonly column: number;
}

/**
 * Expands quantifiers against `names` (the rule's selections, in order) and maps names to
 * indices; unknown names and prefixes that match nothing are returned, not thrown.
 */
export function resolveCondition(ast: CondAst, names: readonly string[]): { expr: CondExpr; unknown: UnresolvedRef[]; used: Set<number> } {
  const unknown: UnresolvedRef[] = [];
  const used = new Set<number>();
  const walk = (n: CondAst): CondExpr => {
    switch (n.t) {
      case 'or':
      case 'and':
        return { t: n.t, items: n.items.map(walk) };
      case 'not':
        return { t: 'not', item: walk(n.item) };
      case 'sel': {
        const index = names.indexOf(n.name);
        if (index === -1) {
          unknown.push({ name: n.name, column: n.column });
          return { t: 'const', value: false };
        }
        used.add(index);
        return { t: 'ref', index };
      }
      case 'quant': {
        const matched: number[] = [];
        names.forEach((name, i) => {
          if (n.prefix === null || name.startsWith(n.prefix)) matched.push(i);
        });
        if (matched.length === 0) {
          unknown.push({ name: n.prefix === null ? 'them' : `${n.prefix}*`, column: n.column });
          return { t: 'const', value: false };
        }
        for (const i of matched) used.add(i);
        const items: CondExpr[] = matched.map((index) => ({ t: 'ref', index }));
        return items.length === 1 ? (items[0] as CondExpr) : { t: n.all ? 'and' : 'or', items };
      }
    }
  };
  return { expr: walk(ast), unknown, used };
}

/** Selection indices an expression reads. */
export function refsOf(expr: CondExpr, out = new Set<number>()): Set<number> {
  if (expr.t === 'ref') out.add(expr.index);
  else if (expr.t === 'not') refsOf(expr.item, out);
  else if (expr.t === 'or' || expr.t === 'and') for (const i of expr.items) refsOf(i, out);
  return out;
}

/** Compiles an expression to a closure over a selection evaluator (memoised by the caller). */
export function compileCondition(expr: CondExpr): (sel: (index: number) => boolean) => boolean {
  switch (expr.t) {
    case 'const': {
      const v = expr.value;
      return () => v;
    }
    case 'ref': {
      const i = expr.index;
      return (sel) => sel(i);
    }
    case 'not': {
      const inner = compileCondition(expr.item);
      return (sel) => !inner(sel);
    }
    case 'and': {
      const parts = expr.items.map(compileCondition);
      return (sel) => {
        for (const p of parts) if (!p(sel)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = expr.items.map(compileCondition);
      return (sel) => {
        for (const p of parts) if (p(sel)) return true;
        return false;
      };
    }
  }
}

/** Reference semantics for property tests: evaluates with a plain assignment. */
export function evaluateCondition(expr: CondExpr, values: readonly boolean[]): boolean {
  return compileCondition(expr)((i) => values[i] === true);
}
