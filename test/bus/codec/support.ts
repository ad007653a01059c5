/** Shared arbitraries and helpers for the codec tests. */
import fc from 'fast-check';
import { VERBS, type Verb } from '../../../src/bus/codec/index.js';

/** Printable ASCII args without a leading or trailing space (what round-trips). */
export function arbArgs(maxLength = 64): fc.Arbitrary<string> {
  return fc
    .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength })
    .map((s) => s.replace(/^ +| +$/g, ''));
}

export const arbVerb: fc.Arbitrary<Verb> = fc.constantFrom(...VERBS);

export interface FrameSpec {
  verb: Verb;
  args: string;
  body: Buffer;
}

export function arbFrame(maxArgs = 64, maxBody = 512): fc.Arbitrary<FrameSpec> {
  return fc.record({
    verb: arbVerb,
    args: arbArgs(maxArgs),
    body: fc.oneof(
      fc.constant(Buffer.alloc(0)),
      fc.uint8Array({ maxLength: maxBody }).map((u) => Buffer.from(u)),
      fc.json({ maxDepth: 2 }).map((s) => Buffer.from(s, 'utf8')).filter((b) => b.length <= maxBody),
    ),
  });
}

/** Cuts `buf` at the given offsets (taken modulo its length, sorted, deduplicated). */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  if (buf.length === 0) return [buf];
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** Random edits of a byte string: bit flips, insertions, deletions, a truncation. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number };

export const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

export function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[at] = b[at]! ^ (1 << m.bit);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}
