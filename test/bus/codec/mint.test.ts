import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, mintEnvelopeBytes, mintEvtFrame, MAX_BODY_BYTES, scanPubBody, type AcceptedScan, type Frame } from '../../../src/bus/codec/index.js';
import { newEventId, serializeEnvelope } from '../../../src/bus/envelope.js';
import { ProtocolError } from '../../../src/bus/errors.js';
import { arbBody, oracle } from './json-support.js';

function accepted(body: Buffer): AcceptedScan {
  const scan = scanPubBody(body);
  if (!scan.ok) throw new Error(`unexpected ${scan.code}: ${scan.message}`);
  return scan;
}

const arbTopic = fc.array(fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x2e && c !== 0x2a && c !== 0x3e).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));
const arbTs = fc.integer({ min: 1, max: 4_000_000_000_000_000 }).map((us) => us / 1e6);
const arbId = fc.uuid({ version: 4 }).map((u) => u.replaceAll('-', ''));

describe('mintEnvelopeBytes', () => {
  it('writes the envelope in wire key order, defaults filled in', () => {
    const body = Buffer.from('{"topic":"spoof","id":"x","payload":{"a":1},"extra":true}');
    const env = mintEnvelopeBytes('a.b', 'f'.repeat(32), 1712345678.123456, body, accepted(body));
    expect(env.toString()).toBe(`{"v":1,"id":"${'f'.repeat(32)}","topic":"a.b","type":"","ts":1712345678.123456,"payload":{"a":1}}`);
    expect(mintEnvelopeBytes('a', 'i', 1, Buffer.alloc(0), accepted(Buffer.alloc(0))).toString()).toBe('{"v":1,"id":"i","topic":"a","type":"","ts":1,"payload":{}}');
  });

  it('matches serializeEnvelope byte for byte on compact bodies', () => {
    const payload = { n: 1, s: 'é"\\', a: [null, true, { x: 2.5 }] };
    const body = Buffer.from(JSON.stringify({ type: 'rule.fired', payload }));
    const id = newEventId();
    const env = { v: 1, id, topic: 'ttp.rule.fired.T1110', type: 'rule.fired', ts: 1712345678.5, payload } as const;
    expect(mintEnvelopeBytes(env.topic, id, env.ts, body, accepted(body)).toString()).toBe(serializeEnvelope(env));
  });

  it('escapes a topic holding a quote or a backslash (both are valid topic bytes)', () => {
    const env = mintEnvelopeBytes('a"b.c\\d', 'i', 2, Buffer.from('{}'), accepted(Buffer.from('{}')));
    expect(JSON.parse(env.toString()).topic).toBe('a"b.c\\d');
  });

  it('writes a non-ASCII id or topic as UTF-8 (not a valid broker id or topic, but never broken JSON)', () => {
    const env = mintEnvelopeBytes('tö"pic', 'ïd', 2, Buffer.from('{}'), accepted(Buffer.from('{}')));
    expect(JSON.parse(env.toString('utf8'))).toMatchObject({ id: 'ïd', topic: 'tö"pic' });
    const { frame, bodyOffset } = mintEvtFrame('a"b\\c', 'ïd', 2, Buffer.from('{}'), accepted(Buffer.from('{}')));
    expect(JSON.parse(frame.subarray(bodyOffset).toString('utf8'))).toMatchObject({ id: 'ïd', topic: 'a"b\\c' });
    expect(frame.readUInt32BE(bodyOffset - 4)).toBe(frame.length - bodyOffset);
    expect(() => mintEvtFrame('a b', 'i', 1, Buffer.alloc(0), { ok: true })).not.toThrow();
    expect(() => mintEvtFrame(' a', 'i', 1, Buffer.alloc(0), { ok: true })).toThrow(ProtocolError);
  });

  it('refuses a non-finite ts', () => {
    expect(() => mintEnvelopeBytes('a', 'i', Number.NaN, Buffer.alloc(0), { ok: true })).toThrow(RangeError);
  });

  it('property: JSON.parse(minted) equals the envelope built from JSON.parse(body)', () => {
    fc.assert(
      fc.property(arbBody, arbTopic, arbId, arbTs, (body, topic, id, ts) => {
        const verdict = oracle(body);
        fc.pre(verdict.ok);
        if (!verdict.ok) return;
        const minted = mintEnvelopeBytes(topic, id, ts, body, accepted(body));
        const expected = { v: 1, id, topic, type: verdict.obj.type ?? '', ts, payload: verdict.obj.payload ?? {} };
        const got: unknown = JSON.parse(minted.toString('utf8'));
        expect(got).toEqual(expected);
        expect(Object.keys(got as object)).toEqual(['v', 'id', 'topic', 'type', 'ts', 'payload']);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('mintEvtFrame', () => {
  it('is an EVT frame whose body is the minted envelope', () => {
    const body = Buffer.from('{"type":"t","payload":{"k":"v"}}');
    const scan = accepted(body);
    const { frame, envelope, bodyOffset } = mintEvtFrame('a.b', 'id', 3.25, body, scan);
    expect(envelope.buffer).toBe(frame.buffer);
    expect(envelope.byteOffset).toBe(frame.byteOffset + bodyOffset);
    expect(envelope).toEqual(mintEnvelopeBytes('a.b', 'id', 3.25, body, scan));
    const frames: Frame[] = [];
    new FrameDecoder((f) => frames.push(f)).push(frame);
    expect(frames.map((f) => [f.verb, f.args, f.body.toString()])).toEqual([['EVT', 'a.b', envelope.toString()]]);
  });

  it('refuses an envelope over the frame limit', () => {
    const pad = MAX_BODY_BYTES - '{"payload":{"s":""}}'.length;
    const body = Buffer.from(`{"payload":{"s":"${'x'.repeat(pad)}"}}`);
    expect(body.length).toBe(MAX_BODY_BYTES);
    expect(() => mintEvtFrame('a.b', 'id', 1, body, accepted(body))).toThrow(ProtocolError);
    expect(mintEnvelopeBytes('a.b', 'id', 1, body, accepted(body)).length).toBeGreaterThan(MAX_BODY_BYTES);
  });
});
