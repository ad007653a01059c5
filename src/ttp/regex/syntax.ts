/**
 * The portable regex subset (ttp.md §2.4): patterns that mean the same in RE2, PCRE and
 * ECMAScript, compiled as `new RegExp(pattern, flags + "u")`. A small recursive-descent
 * parser reports what is outside the subset with a hint saying what to write instead, and
 * yields an AST for the prefilter (required literals) and the "regex-heavy" count
 * (alternations of five or more branches).
 *
 * Hand-written because the portability verdicts are ours (which escapes RE2 lacks, which
 * constructs PCRE reads differently); the ECMAScript compile stays the final check.
 */

export type RNode =
  | { readonly t: 'alt'; readonly branches: readonly RNode[] }
  | { readonly t: 'seq'; readonly items: readonly RNode[] }
  | { readonly t: 'char'; readonly c: string }
  /** A class or class escape: its members when few and explicit, else null. */
  | { readonly t: 'set'; readonly chars: readonly string[] | null }
  | { readonly t: 'assert' }
  | { readonly t: 'group'; readonly body: RNode }
  | { readonly t: 'repeat'; readonly body: RNode; readonly min: number; readonly max: number };

export type RegexIssueCode = 'inline_flags' | 'non_portable_regex' | 'regex_syntax';

export interface RegexIssue {
  readonly code: RegexIssueCode;
  /** 0-based offset in the pattern. */
  readonly at: number;
  readonly message: string;
  readonly hint: string;
}

/** RE2 refuses larger repetition counts. */
const MAX_REPEAT = 1000;
/** Class members beyond this are not worth a prefilter. */
const MAX_SET = 8;
const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';

const NON_PORTABLE_ESCAPES: Readonly<Record<string, string>> = {
  A: 'use `^`',
  Z: 'use `$`',
  z: 'use `$`',
  G: 'anchor with `^` instead',
  h: 'use `[ \\t]`',
  H: 'use `[^ \\t]`',
  K: 'match the prefix in another condition',
  R: 'use `(?:\\r\\n|\\n|\\r)`',
  Q: 'escape each syntax character with `\\` instead of `\\Q…\\E`',
  E: 'escape each syntax character with `\\` instead of `\\Q…\\E`',
  p: 'spell the class out (`[A-Za-z]`)',
  P: 'spell the class out (`[^A-Za-z]`)',
  u: 'write the character itself (RE2 has no `\\uHHHH`)',
  c: 'use `\\xHH`',
  f: 'use `\\x0c`',
  v: 'use `\\x0b`',
  a: 'use `\\x07`',
  e: 'use `\\x1b`',
  0: 'use `\\x00`',
  k: 'match both parts separately',
};

class Parser {
  i = 0;
  readonly issues: RegexIssue[] = [];
  constructor(readonly src: string) {}

  issue(code: RegexIssueCode, at: number, message: string, hint: string): void {
    this.issues.push({ code, at, message, hint });
  }
  peek(k = 0): string | undefined {
    return this.src[this.i + k];
  }
  done(): boolean {
    return this.i >= this.src.length;
  }

  /** One code point as a string, advancing past it. */
  takeChar(): string {
    const cp = this.src.codePointAt(this.i) as number;
    const s = String.fromCodePoint(cp);
    this.i += s.length;
    return s;
  }

  alt(): RNode {
    const branches = [this.seq()];
    while (this.peek() === '|') {
      this.i++;
      branches.push(this.seq());
    }
    return branches.length === 1 ? (branches[0] as RNode) : { t: 'alt', branches };
  }

  seq(): RNode {
    const items: RNode[] = [];
    while (!this.done() && this.peek() !== '|' && this.peek() !== ')') {
      const at = this.i;
      const atom = this.atom();
      if (atom === null) continue;
      items.push(this.quantified(atom, at));
    }
    return { t: 'seq', items };
  }

  quantified(atom: RNode, atomAt: number): RNode {
    const c = this.peek();
    let min: number;
    let max: number;
    const at = this.i;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) {
        this.issue('regex_syntax', this.i, `lone \`{\` at ${this.i}`, 'escape it as `\\{`');
        this.i++;
        return atom;
      }
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > max) this.issue('regex_syntax', at, `repetition {${min},${max}} has min above max`, 'swap the bounds');
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) this.issue('non_portable_regex', at, `repetition count above ${MAX_REPEAT}`, `RE2 caps counts at ${MAX_REPEAT} — lower the bound`);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (atom.t === 'assert') this.issue('regex_syntax', atomAt, `nothing to repeat at ${at}`, 'an anchor or `\\b` cannot be repeated — remove the quantifier');
    if (this.peek() === '?') this.i++;
    else if (this.peek() === '+') {
      this.issue('non_portable_regex', this.i, `possessive quantifier at ${at}`, 'use a plain (greedy) quantifier and bound it');
      this.i++;
    }
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i)))) {
      this.issue('regex_syntax', this.i, `nothing to repeat at ${this.i}`, 'remove the second quantifier or group the first: `(?:a+)?`');
      this.i++;
    }
    return { t: 'repeat', body: atom, min, max };
  }

  atom(): RNode | null {
    const at = this.i;
    const c = this.peek() as string;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return this.cls();
      case '\\':
        return this.escape(false);
      case '.':
        this.i++;
        return { t: 'set', chars: null };
      case '^':
      case '$':
        this.i++;
        return { t: 'assert' };
      case '*':
      case '+':
      case '?':
        this.issue('regex_syntax', at, `nothing to repeat at ${at}`, `escape it as \`\\${c}\``);
        this.i++;
        return null;
      case '{':
      case '}':
      case ']':
        this.issue('regex_syntax', at, `lone \`${c}\` at ${at}`, `escape it as \`\\${c}\``);
        this.i++;
        return { t: 'char', c };
      default:
        return { t: 'char', c: this.takeChar() };
    }
  }

  group(): RNode {
    const at = this.i;
    this.i++; // (
    if (this.peek() === '?') {
      const rest = this.src.slice(this.i + 1);
      if (rest.startsWith(':')) this.i += 2;
      else if (rest.startsWith('=') || rest.startsWith('!')) {
        this.issue('non_portable_regex', at, `lookahead \`(?${rest[0]}\``, rest[0] === '!' ? 'split into another condition with `and not`' : 'split into another condition with `and`');
        this.i += 2;
      } else if (rest.startsWith('<=') || rest.startsWith('<!')) {
        this.issue('non_portable_regex', at, `lookbehind \`(?${rest.slice(0, 2)}\``, rest[1] === '!' ? 'split into another condition with `and not`' : 'split into another condition with `and`');
        this.i += 3;
      } else if (rest.startsWith('P<') || rest.startsWith('P=') || rest.startsWith('P>')) {
        this.issue('non_portable_regex', at, `Python-style group \`(?${rest.slice(0, 2)}\``, rest[1] === '<' ? 'write a named group as `(?<name>…)`' : 'match both parts separately');
        this.i += 3;
        this.skipName();
      } else if (rest.startsWith('<')) {
        this.i += 2;
        if (!this.skipName()) this.issue('regex_syntax', at, 'bad group name', 'write `(?<name>…)` with a name of letters, digits and `_`');
      } else if (rest.startsWith('>')) {
        this.issue('non_portable_regex', at, 'atomic group `(?>`', 'use a non-capturing group `(?:…)` and bound its repetitions');
        this.i += 2;
      } else {
        const m = /^([a-zA-Z-]+)([:)])/.exec(rest);
        if (m) {
          const letters = (m[1] as string).replace(/-/g, '');
          const portable = [...new Set(letters)].filter((l) => 'ims'.includes(l)).join('');
          this.issue('inline_flags', at, `inline flag group \`(?${m[1]}${m[2] === ')' ? ')' : ':'}\` is not portable`, portable ? `remove it and add \`flags: ${portable}\` beside the pattern` : 'remove it; only `flags: i`, `m`, `s` exist');
          this.i += 1 + m[0].length;
          if (m[2] === ')') return { t: 'assert' };
        } else {
          this.issue('regex_syntax', at, `unknown group syntax \`(?${rest[0] ?? ''}\``, 'use `(…)`, `(?:…)` or `(?<name>…)`');
          this.i += 2;
        }
      }
    }
    const body = this.alt();
    if (this.peek() !== ')') this.issue('regex_syntax', at, `unterminated group at ${at}`, 'close it with `)`');
    else this.i++;
    return { t: 'group', body };
  }

  skipName(): boolean {
    const m = /^[A-Za-z_][A-Za-z0-9_]*[>=]/.exec(this.src.slice(this.i));
    if (!m) return false;
    this.i += m[0].length;
    return true;
  }

  /** An escape; in a class `\b` and the assertions are not allowed. */
  escape(inClass: boolean): RNode {
    const at = this.i;
    this.i++; // backslash
    if (this.done()) {
      this.issue('regex_syntax', at, 'trailing `\\`', 'escape it as `\\\\`');
      return { t: 'char', c: '\\' };
    }
    const e = this.takeChar();
    if ('dDwWsS'.includes(e)) return { t: 'set', chars: null };
    if (e === 'b' || e === 'B') {
      if (inClass) this.issue('non_portable_regex', at, `\`\\${e}\` inside a class`, 'use `\\x08` for a backspace, or move `\\b` outside the class');
      return { t: 'assert' };
    }
    if (e === 't') return { t: 'char', c: '\t' };
    if (e === 'n') return { t: 'char', c: '\n' };
    if (e === 'r') return { t: 'char', c: '\r' };
    if (e === 'x') {
      const hex = this.src.slice(this.i, this.i + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        this.issue('regex_syntax', at, '`\\x` needs two hex digits', 'write `\\xHH`');
        return { t: 'char', c: 'x' };
      }
      this.i += 2;
      return { t: 'char', c: String.fromCharCode(parseInt(hex, 16)) };
    }
    if (e >= '1' && e <= '9') {
      this.issue('non_portable_regex', at, `backreference \`\\${e}\``, 'match both parts separately');
      return { t: 'set', chars: null };
    }
    const hint = NON_PORTABLE_ESCAPES[e];
    if (hint !== undefined) {
      this.issue('non_portable_regex', at, `\`\\${e}\` is not portable`, hint);
      if (e === 'p' || e === 'P' || e === 'k') {
        const m = /^(\{[^}]*\}|<[^>]*>)/.exec(this.src.slice(this.i));
        if (m) this.i += m[0].length;
      }
      return { t: 'set', chars: null };
    }
    if (SYNTAX_CHARS.includes(e) || (inClass && e === '-')) return { t: 'char', c: e };
    this.issue('regex_syntax', at, `unnecessary escape \`\\${e}\` does not compile with \`u\``, `write \`${e}\` without the backslash`);
    return { t: 'char', c: e };
  }

  cls(): RNode {
    const at = this.i;
    this.i++; // [
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const members: string[] = [];
    let explicit = true;
    if (this.peek() === ']') this.issue('non_portable_regex', at, `empty class \`[${negated ? '^' : ''}]\``, 'PCRE and RE2 read `[]…]` as a class holding `]` — escape it: `[\\]…]`');
    while (!this.done() && this.peek() !== ']') {
      if (this.peek() === '[' && this.peek(1) === ':') {
        const end = this.src.indexOf(':]', this.i);
        this.issue('non_portable_regex', this.i, 'POSIX class `[[:…:]]`', 'spell the class out (`[A-Za-z]` for `[:alpha:]`, `\\d` for `[:digit:]`)');
        this.i = end === -1 ? this.src.length : end + 2;
        explicit = false;
        continue;
      }
      const lo = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++;
        const hi = this.classAtom();
        if (lo === null || hi === null) {
          explicit = false;
          continue;
        }
        const a = lo.codePointAt(0) as number;
        const b = hi.codePointAt(0) as number;
        if (a > b) this.issue('regex_syntax', at, `range out of order in class at ${at}`, 'write the lower bound first');
        else if (b - a < MAX_SET) for (let cp = a; cp <= b; cp++) members.push(String.fromCodePoint(cp));
        else explicit = false;
      } else if (lo === null) explicit = false;
      else members.push(lo);
    }
    if (this.done()) this.issue('regex_syntax', at, `unterminated class at ${at}`, 'close it with `]`');
    else this.i++;
    if (negated || !explicit || members.length > MAX_SET || members.length === 0) return { t: 'set', chars: null };
    return { t: 'set', chars: [...new Set(members)] };
  }

  /** A class member: one character, or null for a class escape (`\d`…). */
  classAtom(): string | null {
    if (this.peek() === '\\') {
      const n = this.escape(true);
      return n.t === 'char' ? n.c : null;
    }
    return this.takeChar();
  }
}

export interface ParsedRegex {
  readonly ast: RNode;
  readonly issues: readonly RegexIssue[];
}

/** Parses `pattern`; `issues` is empty for a portable pattern that compiles with `flags + "u"`. */
export function parsePortableRegex(pattern: string, flags = ''): ParsedRegex {
  const p = new Parser(pattern);
  let ast = p.alt();
  while (!p.done()) {
    // a stray `)` ends the top level early
    p.issue('regex_syntax', p.i, `unmatched \`)\` at ${p.i}`, 'remove it or escape it as `\\)`');
    p.i++;
    const more = p.alt();
    ast = { t: 'alt', branches: [ast, more] };
  }
  const issues = [...p.issues];
  if (issues.length === 0) {
    try {
      new RegExp(pattern, `${flags}u`);
    } catch (err) {
      issues.push({ code: 'regex_syntax', at: 0, message: `does not compile with \`u\`: ${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)}`, hint: 'escape literal syntax characters with `\\`' });
    }
  }
  return { ast, issues };
}

/** The largest number of branches of one alternation in the pattern. */
export function maxAlternation(node: RNode): number {
  switch (node.t) {
    case 'alt':
      return Math.max(node.branches.length, ...node.branches.map(maxAlternation));
    case 'seq':
      return node.items.reduce((m, n) => Math.max(m, maxAlternation(n)), 1);
    case 'group':
    case 'repeat':
      return maxAlternation(node.body);
    default:
      return 1;
  }
}

/** `flags` is a string of `i`, `m`, `s`, each at most once (§2.4); returns the offending text or null. */
export function badFlags(flags: string): string | null {
  const seen = new Set<string>();
  for (const f of flags) {
    if (!'ims'.includes(f) || seen.has(f)) return flags;
    seen.add(f);
  }
  return null;
}
