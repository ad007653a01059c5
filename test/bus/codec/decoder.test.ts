import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, VERBS, type Frame, type FrameLimits } from '../../../src/bus/codec/index.js';
import { ProtocolError, type ProtocolErrorCode } from '../../../src/bus/errors.js';
import { arbFrame, splitAt } from './support.js';

function decodeAll(chunks: readonly Buffer[], limits?: FrameLimits): Frame[] {
  const frames: Frame[] = [];
  const d = new FrameDecoder((f) => frames.push(f), limits);
  for (const c of chunks) d.push(c);
  d.end();
  return frames;
}

/** Pushes `chunks` and returns the ProtocolError raised (by push or by end). */
function errorOf(chunks: readonly (Buffer | string)[], limits?: FrameLimits): ProtocolError {
  const d = new FrameDecoder(() => {}, limits);
  try {
    for (const c of chunks) d.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
    d.end();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

function expectCode(chunks: readonly (Buffer | string)[], code: ProtocolErrorCode, limits?: FrameLimits): ProtocolError {
  const err = errorOf(chunks, limits);
  expect(err.code).toBe(code);
  return err;
}

const len = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const raw = (header: string, body = ''): Buffer => Buffer.concat([Buffer.from(header, 'latin1'), len(Buffer.byteLength(body)), Buffer.from(body)]);

describe('FrameDecoder round trip', () => {
  it.each(VERBS)('decodes %s with args and body, args alone, and bare', (verb) => {
    const body = Buffer.from('{"type":"x","payload":{"a":[1,2,"é"]}}');
    const stream = Buffer.concat([encodeFrame(verb, 'some.topic name', body), encodeFrame(verb, 'a.b'), encodeFrame(verb)]);
    const frames = decodeAll([stream]);
    expect(frames.map((f) => [f.verb, f.args, f.body.toString()])).toEqual([
      [verb, 'some.topic name', body.toString()],
      [verb, 'a.b', ''],
      [verb, '', ''],
    ]);
  });

  it('round-trips random frame lists under random chunking', () => {
    fc.assert(
      fc.property(fc.array(arbFrame(), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (specs, cuts) => {
        const stream = Buffer.concat(specs.map((s) => encodeFrame(s.verb, s.args, s.body)));
        const frames = decodeAll(splitAt(stream, cuts));
        expect(frames.map((f) => ({ verb: f.verb, args: f.args, body: Buffer.from(f.body) }))).toEqual(specs);
      }),
      { numRuns: 400 },
    );
  });

  it('round-trips a stream split at every byte', () => {
    fc.assert(
      fc.property(fc.array(arbFrame(16, 64), { minLength: 1, maxLength: 5 }), (specs) => {
        const stream = Buffer.concat(specs.map((s) => encodeFrame(s.verb, s.args, s.body)));
        const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
        const frames = decodeAll(chunks);
        expect(frames.map((f) => ({ verb: f.verb, args: f.args, body: Buffer.from(f.body) }))).toEqual(specs);
      }),
      { numRuns: 100 },
    );
  });

  it('hands out zero-copy bodies and buffers nothing when chunks hold whole frames', () => {
    const a = Buffer.concat([encodeFrame('PUB', 'a.b', '{"x":1}'), encodeFrame('SUB', 'a.>'), encodeFrame('PUB', 'c', '{}')]);
    const frames: Frame[] = [];
    const d = new FrameDecoder((f) => frames.push(f));
    d.push(a);
    expect(d.buffered).toBe(0);
    expect(frames).toHaveLength(3);
    expect(frames[0]!.body.buffer).toBe(a.buffer);
    expect(frames[0]!.body.byteOffset).toBe(a.byteOffset + 'PUB a.b\n'.length + 4);
    d.push(a);
    expect(d.buffered).toBe(0);
    d.end();
  });

  it('gives each split body its own buffer, so a kept body is never overwritten', () => {
    const f1 = encodeFrame('PUB', 'a', '{"n":"first"}');
    const f2 = encodeFrame('PUB', 'a', '{"n":"other"}');
    const kept: Buffer[] = [];
    const d = new FrameDecoder((f) => kept.push(f.body));
    for (const f of [f1, f2]) {
      d.push(f.subarray(0, f.length - 3));
      expect(d.buffered).toBeGreaterThan(0);
      d.push(f.subarray(f.length - 3));
      expect(d.buffered).toBe(0);
    }
    expect(kept.map(String)).toEqual(['{"n":"first"}', '{"n":"other"}']);
    expect(kept[0]!.buffer === kept[1]!.buffer && kept[0]!.byteOffset === kept[1]!.byteOffset).toBe(false);
  });

  it('counts a split header and a split length in buffered, and drops them once parsed', () => {
    const frame = raw('PUB topic.x\n', '{"a":1}');
    const d = new FrameDecoder(() => {});
    d.push(frame.subarray(0, 5));
    expect(d.buffered).toBe(5);
    d.push(frame.subarray(5, 14)); // header done (12 bytes) + 2 length bytes
    expect(d.buffered).toBe(2);
    d.push(frame.subarray(14, 17)); // length done + 1 body byte: the body buffer is allocated
    expect(d.buffered).toBe(7);
    d.push(frame.subarray(17));
    expect(d.buffered).toBe(0);
  });
});

describe('FrameDecoder header rules', () => {
  it('tolerates CR before LF, also when the CR ends a chunk', () => {
    expect(decodeAll([raw('PUB a.b\r\n', '{}')]).map((f) => [f.verb, f.args])).toEqual([['PUB', 'a.b']]);
    const frame = raw('BYE\r\n');
    expect(decodeAll([frame.subarray(0, 4), frame.subarray(4)]).map((f) => [f.verb, f.args])).toEqual([['BYE', '']]);
  });

  it('trims args and splits the verb at the first space', () => {
    const frames = decodeAll([Buffer.concat([raw('PUB   a.b   \n'), raw('HELLO my  client\n'), raw('SUB \n'), raw('SUB  \r\n')])]);
    expect(frames.map((f) => [f.verb, f.args])).toEqual([
      ['PUB', 'a.b'],
      ['HELLO', 'my  client'],
      ['SUB', ''],
      ['SUB', ''],
    ]);
  });

  it('accepts a header of exactly the limit, LF included', () => {
    const header = 'PUB ' + 'a'.repeat(4096 - 5) + '\n';
    expect(header.length).toBe(4096);
    expect(decodeAll([raw(header)])[0]!.args).toHaveLength(4091);
  });

  it('header_too_long: one byte over, or no LF within the limit', () => {
    expectCode([raw('PUB ' + 'a'.repeat(4096 - 4) + '\n')], 'header_too_long');
    const err = expectCode(['SUB ', 'x'.repeat(5000)], 'header_too_long');
    expect(err.state).toBe('header');
    // detected after maxHeaderBytes, without waiting for more input
    const d = new FrameDecoder(() => {}, { maxHeaderBytes: 8 });
    expect(() => d.push(Buffer.from('PUBxxxxx'))).toThrow(ProtocolError);
    expect(() => new FrameDecoder(() => {}, { maxHeaderBytes: 8 }).push(Buffer.from('PUB xxx\n\0\0\0\0'))).not.toThrow();
  });

  it('header_not_ascii: control bytes, tab, DEL, high bytes, a CR not before LF', () => {
    for (const h of ['PUB a\tb\n', 'PUB \x00\n', 'PUB a\x7f\n', 'PUB \xc3\xa9\n', 'PUB a\rb\n', 'PUB a\r\r\n', '\x80\n']) {
      expectCode([h], 'header_not_ascii');
    }
    // CR at the end of one chunk, a non-LF at the start of the next
    expectCode(['PUB a\r', 'x\n'], 'header_not_ascii');
  });

  it('header_empty: LF alone or CR LF alone', () => {
    expectCode([raw('\n')], 'header_empty');
    expectCode([raw('\r\n')], 'header_empty');
    expectCode([Buffer.concat([encodeFrame('BYE'), raw('\n')])], 'header_empty');
  });

  it('unknown_verb: lower case, unknown, prefixed, leading space', () => {
    for (const h of ['pub a\n', 'Pub a\n', 'PUBX a\n', 'FOO\n', ' PUB a\n', 'EVTS\n', 'PU\n', 'SUBSCRIBE  x\n']) {
      expectCode([raw(h)], 'unknown_verb');
    }
  });

  it('body_too_large as soon as the length is in, before any body byte', () => {
    const d = new FrameDecoder(() => {});
    d.push(Buffer.from('PUB a\n'));
    d.push(len(1_048_577).subarray(0, 3));
    expect(d.buffered).toBe(3);
    expect(() => d.push(len(1_048_577).subarray(3))).toThrow(expect.objectContaining({ code: 'body_too_large', state: 'length' }));
    expect(d.buffered).toBeLessThanOrEqual(3); // no body buffer was ever allocated
    expectCode([Buffer.concat([Buffer.from('PUB a\n'), len(1_048_577)])], 'body_too_large');
    const small = expectCode([Buffer.concat([Buffer.from('PUB a\n'), len(257)])], 'body_too_large', { maxBodyBytes: 256 });
    expect(small.state).toBe('length');
    expectCode([Buffer.concat([Buffer.from('PUB a\n'), len(0xffffffff)])], 'body_too_large');
  });

  it('accepts a body of exactly the limit', () => {
    const body = Buffer.alloc(1_048_576, 0x20);
    expect(decodeAll([Buffer.concat([Buffer.from('PUB a\n'), len(body.length), body])])[0]!.body.length).toBe(1_048_576);
  });

  it('truncated: EOF in the header, the length or the body; a clean EOF is fine', () => {
    expect(expectCode(['PUB a'], 'truncated').state).toBe('header');
    expect(expectCode(['PUB a\r'], 'truncated').state).toBe('header');
    expect(expectCode(['PUB a\n\0\0'], 'truncated').state).toBe('length');
    expect(expectCode(['PUB a\n'], 'truncated').state).toBe('length');
    expect(expectCode([Buffer.concat([Buffer.from('PUB a\n'), len(3), Buffer.from('{}')])], 'truncated').state).toBe('body');
    expect(() => decodeAll([encodeFrame('BYE')])).not.toThrow();
    expect(() => decodeAll([])).not.toThrow();
  });

  it('is dead after an error: later pushes and end() throw the same error', () => {
    const d = new FrameDecoder(() => {});
    let first: unknown;
    try {
      d.push(Buffer.from('nope\n'));
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(ProtocolError);
    expect(() => d.push(encodeFrame('BYE'))).toThrow(first as Error);
    try {
      d.end();
    } catch (e) {
      expect(e).toBe(first);
    }
  });

  it('emits the frames before an error in the same chunk', () => {
    const frames: Frame[] = [];
    const d = new FrameDecoder((f) => frames.push(f));
    expect(() => d.push(Buffer.concat([encodeFrame('SUB', 'a'), encodeFrame('SUB', 'b'), Buffer.from('bad\n')]))).toThrow(ProtocolError);
    expect(frames.map((f) => f.args)).toEqual(['a', 'b']);
  });

  it('refuses to be pushed from its own callback', () => {
    const d: FrameDecoder = new FrameDecoder(() => d.push(encodeFrame('BYE')));
    expect(() => d.push(encodeFrame('BYE'))).toThrow(/own onFrame/);
  });
});
