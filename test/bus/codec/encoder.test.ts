import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEvt, encodeFrame, encodeFrameHead, FrameDecoder, MAX_BODY_BYTES, VERBS, type Frame, type Verb } from '../../../src/bus/codec/index.js';
import { ProtocolError } from '../../../src/bus/errors.js';
import { arbArgs, arbVerb } from './support.js';

function decodeOne(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  const d = new FrameDecoder((f) => frames.push(f));
  d.push(bytes);
  d.end();
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error('expected a ProtocolError');
}

describe('encodeFrame', () => {
  it('writes the v1 byte layout', () => {
    expect(encodeFrame('PUB', 'a.b', '{}').toString('hex')).toBe(Buffer.from('PUB a.b\n').toString('hex') + '00000002' + '7b7d');
    expect(encodeFrame('BYE').toString('hex')).toBe('4259450a00000000');
    expect(encodeFrame('SUB', 'x', Buffer.alloc(0))).toEqual(Buffer.from('SUB x\n\0\0\0\0', 'latin1'));
  });

  it.each(VERBS)('round-trips %s through the decoder', (verb) => {
    const f = decodeOne(encodeFrame(verb, 'x.y', '{"é":"✓"}'));
    expect([f.verb, f.args, f.body.toString('utf8')]).toEqual([verb, 'x.y', '{"é":"✓"}']);
  });

  it('head + body equals the contiguous frame, for Buffer and string bodies', () => {
    fc.assert(
      fc.property(arbVerb, arbArgs(), fc.string({ unit: 'binary', maxLength: 200 }), (verb, args, text) => {
        const body = Buffer.from(text, 'utf8');
        const whole = encodeFrame(verb, args, body);
        expect(encodeFrame(verb, args, text)).toEqual(whole);
        expect(Buffer.concat([encodeFrameHead(verb, args, body.length), body])).toEqual(whole);
        const f = decodeOne(whole);
        expect({ verb: f.verb, args: f.args, body: Buffer.from(f.body) }).toEqual({ verb, args, body });
      }),
    );
  });

  it('encodeEvt is an EVT frame around the envelope bytes', () => {
    const env = Buffer.from('{"v":1}');
    expect(encodeEvt('a.b', env)).toEqual(encodeFrame('EVT', 'a.b', env));
  });

  it('refuses what the decoder would reject or change', () => {
    expect(codeOf(() => encodeFrame('pub' as Verb, 'a'))).toBe('unknown_verb');
    expect(codeOf(() => encodeFrame('PUB', 'a\tb'))).toBe('header_not_ascii');
    expect(codeOf(() => encodeFrame('PUB', 'a\nb'))).toBe('header_not_ascii');
    expect(codeOf(() => encodeFrame('PUB', 'é'))).toBe('header_not_ascii');
    expect(codeOf(() => encodeFrame('PUB', ' a'))).toBe('header_not_ascii');
    expect(codeOf(() => encodeFrame('PUB', 'a '))).toBe('header_not_ascii');
    expect(codeOf(() => encodeFrame('PUB', ' '))).toBe('header_not_ascii');
    expect(codeOf(() => encodeFrame('PUB', 'a'.repeat(4096 - 4)))).toBe('header_too_long');
    expect(encodeFrame('PUB', 'a'.repeat(4096 - 5))).toHaveLength(4096 + 4);
    expect(codeOf(() => encodeFrame('PUB', 'a', Buffer.alloc(MAX_BODY_BYTES + 1)))).toBe('body_too_large');
    expect(codeOf(() => encodeFrameHead('PUB', 'a', MAX_BODY_BYTES + 1))).toBe('body_too_large');
    expect(() => encodeFrameHead('PUB', 'a', -1)).toThrow(RangeError);
    expect(encodeFrame('PUB', 'a', Buffer.alloc(MAX_BODY_BYTES))).toHaveLength(6 + 4 + MAX_BODY_BYTES);
  });
});
