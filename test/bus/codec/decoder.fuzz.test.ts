/**
 * Fuzzing the frame decoder with small limits (so that limits are actually reached):
 * random bytes and mutated valid streams, cut into random chunks. The decoder must throw
 * nothing but ProtocolError, never hold more than the limits allow, and agree exactly
 * (frames and error code) with a plain whole-buffer reference decoder written from
 * bus.md §3.2 — which also pins that chunking never changes the outcome.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, VERBS, type Frame, type FrameLimits } from '../../../src/bus/codec/index.js';
import { ProtocolError } from '../../../src/bus/errors.js';
import { arbFrame, arbMutation, mutate, splitAt } from './support.js';

const LIMITS = { maxHeaderBytes: 64, maxBodyBytes: 256 } as const;
const BOUND = LIMITS.maxHeaderBytes + 4 + LIMITS.maxBodyBytes;

interface Outcome {
  frames: Array<{ verb: string; args: string; body: string }>;
  error?: string;
}

/** The reference: one pass over the complete stream, EOF at its end. */
function reference(buf: Buffer, { maxHeaderBytes: max, maxBodyBytes }: Required<FrameLimits>): Outcome {
  const frames: Outcome['frames'] = [];
  const bad = (b: number): boolean => b < 0x20 || b > 0x7e;
  let pos = 0;
  while (pos < buf.length) {
    const window = buf.subarray(pos, pos + max);
    const lf = window.indexOf(0x0a);
    if (lf < 0) {
      // no LF: a stray byte first, else too long (window full) or EOF
      for (let j = 0; j < window.length; j++) {
        const b = window[j]!;
        if (bad(b) && !(b === 0x0d && j === window.length - 1)) return { frames, error: 'header_not_ascii' };
      }
      return { frames, error: window.length === max ? 'header_too_long' : 'truncated' };
    }
    let line = window.subarray(0, lf);
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.some(bad)) return { frames, error: 'header_not_ascii' };
    const text = line.toString('latin1');
    if (text === '') return { frames, error: 'header_empty' };
    const sp = text.indexOf(' ');
    const verb = sp < 0 ? text : text.slice(0, sp);
    if (!(VERBS as readonly string[]).includes(verb)) return { frames, error: 'unknown_verb' };
    const args = sp < 0 ? '' : text.slice(sp + 1).trim(); // printable ASCII: trim() strips spaces only
    pos += lf + 1;
    if (buf.length - pos < 4) return { frames, error: 'truncated' };
    const n = buf.readUInt32BE(pos);
    pos += 4;
    if (n > maxBodyBytes) return { frames, error: 'body_too_large' };
    if (buf.length - pos < n) return { frames, error: 'truncated' };
    frames.push({ verb, args, body: buf.toString('hex', pos, pos + n) });
    pos += n;
  }
  return { frames };
}

/** Streams `chunks` through a FrameDecoder, checking the invariants at every step. */
function streamed(chunks: readonly Buffer[], limits: Required<FrameLimits>): Outcome {
  const frames: Outcome['frames'] = [];
  const bound = limits.maxHeaderBytes + 4 + limits.maxBodyBytes;
  const d = new FrameDecoder((f: Frame) => {
    expect(d.buffered).toBeLessThanOrEqual(bound);
    frames.push({ verb: f.verb, args: f.args, body: f.body.toString('hex') });
  }, limits);
  let error: unknown;
  try {
    for (const c of chunks) {
      d.push(c);
      expect(d.buffered).toBeLessThanOrEqual(bound);
    }
    d.end();
  } catch (err) {
    error = err;
  }
  if (error === undefined) return { frames };
  if (!(error instanceof ProtocolError)) throw error; // anything else fails the property
  expect(d.buffered).toBeLessThanOrEqual(bound);
  // dead: it keeps failing with the same error
  expect(() => d.push(Buffer.from('BYE\n\0\0\0\0'))).toThrow(error);
  return { frames, error: error.code };
}

const arbValidStream = fc.array(arbFrame(24, 200), { maxLength: 8 }).map((specs) => Buffer.concat(specs.map((s) => encodeFrame(s.verb, s.args, s.body))));

/** Random bytes biased towards the protocol's own alphabet, so headers sometimes parse. */
const arbNoise = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0a, 0x0d, 0x20, 0x00), fc.constantFrom(...Buffer.from('PUBSUBEVTHELLOPINGBYE'))), { maxLength: 400 })
  .map((a) => Buffer.from(a));

/** Header lines right around the limit (with or without CR), then an empty body; plus printable runs. */
const arbLongHeaders = fc.oneof(
  fc
    .tuple(fc.constantFrom(...VERBS), fc.integer({ min: LIMITS.maxHeaderBytes - 4, max: LIMITS.maxHeaderBytes + 1 }), fc.boolean(), fc.string({ unit: fc.constantFrom('a', ' ', '.'), minLength: 70, maxLength: 70 }))
    .map(([verb, total, cr, fill]) => {
      const line = (verb + ' ' + fill).slice(0, total - 1 - (cr ? 1 : 0)) + (cr ? '\r' : '') + '\n';
      return Buffer.concat([Buffer.from(line, 'latin1'), Buffer.alloc(4)]);
    }),
  fc
    .tuple(fc.constantFrom(...VERBS, 'pub', ''), fc.string({ unit: fc.constantFrom('a', ' ', '.', '\r', '\n'), minLength: 40, maxLength: 90 }), fc.uint8Array({ maxLength: 8 }))
    .map(([verb, rest, tail]) => Buffer.concat([Buffer.from(verb + ' ' + rest, 'latin1'), tail])),
);

const arbChunkCuts = fc.array(fc.nat(), { maxLength: 30 });

describe('FrameDecoder fuzz', () => {
  it('random bytes in random chunks: ProtocolError only, bounded, same as the reference', () => {
    fc.assert(
      fc.property(fc.oneof(arbNoise, arbLongHeaders, fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u))), arbChunkCuts, (bytes, cuts) => {
        expect(streamed(splitAt(bytes, cuts), LIMITS)).toEqual(reference(bytes, LIMITS));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid streams (flips, insertions, deletions, truncations) in random chunks', () => {
    fc.assert(
      fc.property(arbValidStream, fc.array(arbMutation, { minLength: 1, maxLength: 4 }), arbChunkCuts, (stream, mutations, cuts) => {
        const bytes = mutate(stream, mutations);
        expect(streamed(splitAt(bytes, cuts), LIMITS)).toEqual(reference(bytes, LIMITS));
      }),
      { numRuns: 2000 },
    );
  });

  it('valid streams decode fully and the same under any chunking', () => {
    fc.assert(
      fc.property(arbValidStream, arbChunkCuts, (stream, cuts) => {
        const out = streamed(splitAt(stream, cuts), LIMITS);
        expect(out.error).toBeUndefined();
        expect(out).toEqual(reference(stream, LIMITS));
      }),
      { numRuns: 500 },
    );
  });

  it('a declared maximum body fed one byte at a time stays within the bound', () => {
    const body = Buffer.alloc(LIMITS.maxBodyBytes, 0x41);
    const stream = Buffer.concat([encodeFrame('PUB', 'x'.repeat(LIMITS.maxHeaderBytes - 5), body), Buffer.from('PUB y\n\0\0\x01\x01')]);
    const out = streamed(splitAt(stream, Array.from({ length: stream.length }, (_, i) => i)), LIMITS);
    expect(out.frames).toHaveLength(1);
    expect(out.error).toBe('body_too_large');
    expect(BOUND).toBe(324);
  });
});
