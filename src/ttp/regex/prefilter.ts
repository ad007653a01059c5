/**
 * Literal prefilters (ttp.md §4.8): from a pattern's AST, a set of literals one of which
 * every match must contain. The engine tests them with `includes` (on a lower-cased copy
 * under `flags: i`) before running the regex, so most inputs never reach it.
 *
 * Soundness is the invariant: a prefilter may let a non-match through, never stop a match.
 * Under `i` only ASCII literals are folded (CORRECTIONS #9.6); a non-ASCII character then
 * ends a literal run. The lower-cased copy maps U+017F (ſ) to `s` and U+212A (K) lower-cases
 * to `k`, the two non-ASCII characters that case-fold onto ASCII letters.
 */
import type { RNode } from './syntax.js';

/** Bounds that keep extraction cheap and literal sets small. */
const MAX_SET = 16;
const MAX_LEN = 64;
/** Literals shorter than this filter too little to be worth the `includes`. */
const MIN_USEFUL = 2;

type Lits = readonly string[];

function isAsciiLetter(c: string): boolean {
  const x = c.charCodeAt(0);
  return c.length === 1 && ((x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a));
}

function fold(c: string, ignoreCase: boolean): string | null {
  if (!ignoreCase) return c;
  if (isAsciiLetter(c)) return c.toLowerCase();
  // Non-letters are safe unless some non-ASCII character case-folds onto them; ASCII
  // non-letters have no such partner. Non-ASCII characters are not folded: no literal.
  return c.charCodeAt(0) < 0x80 ? c : null;
}

function cross(a: Lits, b: Lits): Lits | null {
  if (a.length * b.length > MAX_SET) return null;
  const out: string[] = [];
  for (const x of a) for (const y of b) out.push(x + y);
  if (out.some((s) => s.length > MAX_LEN)) return null;
  return [...new Set(out)];
}

function union(sets: readonly Lits[]): Lits | null {
  const out = new Set<string>();
  for (const s of sets) for (const x of s) out.add(x);
  return out.size > MAX_SET * 2 ? null : [...out];
}

function minLen(s: Lits): number {
  return s.reduce((m, x) => Math.min(m, x.length), Infinity);
}

/** Better = longer shortest literal, then fewer literals. */
function better(a: Lits | null, b: Lits | null): Lits | null {
  if (a === null) return b;
  if (b === null) return a;
  const la = minLen(a);
  const lb = minLen(b);
  if (la !== lb) return la > lb ? a : b;
  return a.length <= b.length ? a : b;
}

class Extractor {
  constructor(private readonly ignoreCase: boolean) {}

  /** Every string `node` can match, when few; else null. */
  exact(node: RNode): Lits | null {
    switch (node.t) {
      case 'char': {
        const c = fold(node.c, this.ignoreCase);
        return c === null ? null : [c];
      }
      case 'set': {
        if (node.chars === null) return null;
        const out = new Set<string>();
        for (const ch of node.chars) {
          const c = fold(ch, this.ignoreCase);
          if (c === null) return null;
          out.add(c);
        }
        return [...out];
      }
      case 'assert':
        return [''];
      case 'group':
        return this.exact(node.body);
      case 'seq': {
        let acc: Lits = [''];
        for (const item of node.items) {
          const e = this.exact(item);
          if (e === null) return null;
          const next = cross(acc, e);
          if (next === null) return null;
          acc = next;
        }
        return acc;
      }
      case 'alt': {
        const parts: Lits[] = [];
        for (const b of node.branches) {
          const e = this.exact(b);
          if (e === null) return null;
          parts.push(e);
        }
        const u = union(parts);
        return u !== null && u.length <= MAX_SET ? u : null;
      }
      case 'repeat': {
        if (node.min !== node.max || node.min > 4) return null;
        const body = this.exact(node.body);
        if (body === null) return null;
        let acc: Lits = [''];
        for (let k = 0; k < node.min; k++) {
          const next = cross(acc, body);
          if (next === null) return null;
          acc = next;
        }
        return acc;
      }
    }
  }

  /** Literals one of which every match of `node` contains; null when none can be named. */
  required(node: RNode): Lits | null {
    const e = this.exact(node);
    if (e !== null) return e;
    switch (node.t) {
      case 'group':
        return this.required(node.body);
      case 'repeat':
        return node.min >= 1 ? this.required(node.body) : null;
      case 'alt': {
        const parts: Lits[] = [];
        for (const b of node.branches) {
          const r = this.required(b);
          if (r === null || minLen(r) === 0) return null;
          parts.push(r);
        }
        return union(parts);
      }
      case 'seq': {
        let best: Lits | null = null;
        let run: Lits | null = null;
        for (const item of node.items) {
          const e2 = this.exact(item);
          if (e2 !== null) {
            run = run === null ? e2 : cross(run, e2);
            if (run === null) run = e2; // too many combinations: restart the run here
            best = better(best, run);
            continue;
          }
          run = null;
          best = better(best, this.required(item));
        }
        return best;
      }
      default:
        return null;
    }
  }
}

/** Literals for `includes` (lower-case under `i`), or null when no useful prefilter exists. */
export function requiredLiterals(ast: RNode, ignoreCase: boolean): string[] | null {
  const lits = new Extractor(ignoreCase).required(ast);
  if (lits === null || lits.length === 0 || minLen(lits) < MIN_USEFUL) return null;
  // A literal containing another is redundant: keep the shorter.
  const sorted = [...lits].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const l of sorted) if (!kept.some((k) => l.includes(k))) kept.push(l);
  return kept;
}

/** The lower-cased copy prefilters under `i` read (see the module comment). */
export function foldForPrefilter(s: string): string {
  const lower = s.toLowerCase();
  return lower.indexOf('\u017f') === -1 ? lower : lower.replaceAll('\u017f', 's');
}
