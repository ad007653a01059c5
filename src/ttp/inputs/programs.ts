/**
 * `programs`: the program names a command line invokes, in order, de-duplicated, at most
 * 64 (ttp.md §1.3). Deliberately shell-naive — attackers' one-liners are not well-formed
 * shell, and a quote-aware parser would give up where this still finds the programs:
 *
 * - split at `;` `&&` `||` `|` `&` newline `$(` backtick `(` `)` with no quote awareness;
 * - in each segment skip leading quotes, braces and `NAME=value`, then wrappers
 *   (`sudo -u root`, `busybox`, `nohup`, `timeout 10`, `env A=1`, …);
 * - the next word, without quotes and directory, is the program;
 * - the argument after `-c` or `eval` is split again, two levels deep.
 *
 * `cd /tmp; busybox wget 1.2.3.4/x; sudo -u root /usr/bin/id` → `[cd, wget, id]`.
 * Runs at projection time, once per input; no regular expressions.
 */
import { MAX_LIST_ITEMS } from './input.js';

const MAX_DEPTH = 2;

/** Wrapper → how many following words it consumes beyond options (see `skipWrapper`). */
const WRAPPERS = new Set(['sudo', 'doas', 'busybox', 'nohup', 'exec', 'command', 'builtin', 'time', 'nice', 'timeout', 'env', 'setsid', 'stdbuf']);
/** Options of a wrapper that take a value (`sudo -u root`, `nice -n 10`). */
const OPTION_ARGS: Readonly<Record<string, ReadonlySet<string>>> = {
  sudo: new Set(['-u', '-g', '-U', '-C', '-h', '-p', '-r', '-t', '-D']),
  doas: new Set(['-u', '-C']),
  nice: new Set(['-n']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  env: new Set(['-u', '-C', '--unset', '--chdir']),
  stdbuf: new Set(['-i', '-o', '-e']),
};

/** Splits at the §1.3 separators. */
function segments(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let sep = 0;
    if (c === 0x3b /* ; */ || c === 0x0a || c === 0x0d || c === 0x60 /* ` */ || c === 0x28 /* ( */ || c === 0x29 /* ) */) sep = 1;
    else if (c === 0x26 /* & */ || c === 0x7c /* | */) sep = text.charCodeAt(i + 1) === c ? 2 : 1;
    else if (c === 0x24 /* $ */ && text.charCodeAt(i + 1) === 0x28) sep = 2;
    if (sep > 0) {
      if (i > start) out.push(text.slice(start, i));
      i += sep - 1;
      start = i + 1;
    }
  }
  if (start < n) out.push(text.slice(start));
  return out;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c;
}

/** Words of a segment with their start offsets. */
function words(seg: string): { w: string; at: number }[] {
  const out: { w: string; at: number }[] = [];
  let i = 0;
  while (i < seg.length) {
    while (i < seg.length && isSpace(seg.charCodeAt(i))) i++;
    const at = i;
    while (i < seg.length && !isSpace(seg.charCodeAt(i))) i++;
    if (i > at) out.push({ w: seg.slice(at, i), at });
  }
  return out;
}

function stripLeading(w: string): string {
  let i = 0;
  while (i < w.length) {
    const c = w.charCodeAt(i);
    if (c === 0x22 || c === 0x27 || c === 0x7b || c === 0x7d || c === 0x21 /* ! */ || c === 0x5c /* \ */) i++;
    else break;
  }
  return i === 0 ? w : w.slice(i);
}

/** `NAME=value` (shell assignment): a name of word characters, then `=`. */
function isAssignment(w: string): boolean {
  const eq = w.indexOf('=');
  if (eq <= 0) return false;
  for (let i = 0; i < eq; i++) {
    const c = w.charCodeAt(i);
    const ok = c === 0x5f || (c >= 0x30 && c <= 0x39 && i > 0) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!ok) return false;
  }
  return true;
}

function isDuration(w: string): boolean {
  if (w.length === 0) return false;
  let i = 0;
  while (i < w.length && ((w.charCodeAt(i) >= 0x30 && w.charCodeAt(i) <= 0x39) || w[i] === '.')) i++;
  return i > 0 && (i === w.length || (i === w.length - 1 && 'smhd'.includes(w[i] as string)));
}

/** Index of the first word after the wrapper at `i` and its options. */
function skipWrapper(ws: readonly { w: string }[], i: number): number {
  const name = programName(ws[i]?.w ?? '');
  const takes = OPTION_ARGS[name];
  let j = i + 1;
  while (j < ws.length) {
    const w = (ws[j] as { w: string }).w;
    if (w === '--') return j + 1;
    if (w.startsWith('-') && w.length > 1) {
      j += takes?.has(w) ? 2 : 1;
      continue;
    }
    if (name === 'env' && isAssignment(w)) {
      j++;
      continue;
    }
    if (name === 'timeout' && isDuration(w)) return j + 1;
    break;
  }
  return j;
}

/** A word without quotes and directory. */
function programName(word: string): string {
  let w = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i] as string;
    if (c !== '"' && c !== "'" && c !== '\\') w += c;
  }
  const slash = w.lastIndexOf('/');
  return slash === -1 ? w : w.slice(slash + 1);
}

function allDigits(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return w.length > 0;
}

/** The text of the argument after `-c`/`eval` (its surrounding quote removed). */
function quotedArgument(seg: string, from: number): string {
  let arg = seg.slice(from).trim();
  const q = arg[0];
  if (q === '"' || q === "'") {
    const end = arg.indexOf(q, 1);
    arg = end === -1 ? arg.slice(1) : arg.slice(1, end);
  }
  return arg;
}

function visit(text: string, depth: number, out: string[], seen: Set<string>): void {
  for (const seg of segments(text)) {
    if (out.length >= MAX_LIST_ITEMS) return;
    const ws = words(seg);
    let i = 0;
    // leading quotes, braces and assignments
    while (i < ws.length) {
      const w = stripLeading((ws[i] as { w: string }).w);
      if (w.length === 0 || isAssignment(w)) i++;
      else break;
    }
    while (i < ws.length && WRAPPERS.has(programName(stripLeading((ws[i] as { w: string }).w)))) {
      const next = skipWrapper(ws, i);
      // `sudo` alone, or a wrapper at the end of the segment, is itself the program
      if (next >= ws.length) break;
      i = next;
      while (i < ws.length && isAssignment(stripLeading((ws[i] as { w: string }).w))) i++;
    }
    const first = ws[i];
    if (first === undefined) continue;
    const prog = programName(stripLeading(first.w));
    // `2>&1` leaves a bare `1` after the `&` split: a file descriptor, not a program
    if (prog.length === 0 || allDigits(prog) || prog.startsWith('>') || prog.startsWith('<')) continue;
    if (!seen.has(prog)) {
      seen.add(prog);
      out.push(prog);
    }
    if (depth >= MAX_DEPTH) continue;
    const isEval = prog === 'eval';
    for (let j = isEval ? i : i + 1; j < ws.length; j++) {
      const w = ws[j] as { w: string; at: number };
      if (isEval && j === i) {
        visit(quotedArgument(seg, w.at + w.w.length), depth + 1, out, seen);
        break;
      }
      if (w.w === '-c') {
        visit(quotedArgument(seg, w.at + 2), depth + 1, out, seen);
        break;
      }
    }
  }
}

export function programsOf(commandText: string): string[] {
  const out: string[] = [];
  visit(commandText, 0, out, new Set());
  return out;
}
