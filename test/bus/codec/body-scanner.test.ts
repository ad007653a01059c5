import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, scannedType, scanPubBody, type PubBodyScan } from '../../../src/bus/codec/index.js';
import { arbBody, oracle } from './json-support.js';
import { arbMutation, mutate } from './support.js';

const scan = (s: string | Buffer): PubBodyScan => scanPubBody(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
const slice = (body: string, r: { start: number; end: number } | undefined): string | undefined => (r === undefined ? undefined : Buffer.from(body).toString('utf8', r.start, r.end));
const code = (s: string | Buffer): string => {
  const r = scan(s);
  return r.ok ? 'ok' : r.code;
};

/** Checks the scan of `body` against the JSON.parse oracle: verdict, and the values the ranges hold. */
function agrees(body: Buffer): void {
  const got = scanPubBody(body);
  const want = oracle(body);
  expect(got.ok ? 'ok' : got.code).toBe(want.ok ? 'ok' : want.code);
  if (!got.ok || !want.ok) return;
  const parse = (r: { start: number; end: number } | undefined): unknown => (r === undefined ? undefined : JSON.parse(body.toString('utf8', r.start, r.end)));
  expect(parse(got.type)).toEqual(want.obj.type);
  expect(parse(got.payload)).toEqual(want.obj.payload);
  expect(scannedType(got, body)).toBe(want.obj.type ?? '');
}

describe('scanPubBody targeted cases', () => {
  it('an empty body is {}; whitespace around one object is fine', () => {
    expect(scan('')).toEqual({ ok: true });
    expect(scan(' \t\r\n{}\n')).toEqual({ ok: true });
    expect(code('   ')).toBe('bad_body');
  });

  it('records the top-level type and payload value ranges', () => {
    const body = '{"v":1, "type" : "rule.fired", "payload":{"a":[1,{"type":2}],"b":"}"} , "x":null}';
    const r = scan(body);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(slice(body, r.type)).toBe('"rule.fired"');
    expect(slice(body, r.payload)).toBe('{"a":[1,{"type":2}],"b":"}"}');
  });

  it('nested type and payload keys are not top-level', () => {
    expect(scan('{"payload":{"type":1,"payload":[]}}').ok).toBe(true);
    expect(scan('{"a":{"type":1},"b":[{"payload":2}]}')).toEqual({ ok: true });
  });

  it('the last duplicate wins, and only it is shape-checked', () => {
    const body = '{"type":1,"payload":[],"type":"b","payload":{"n":2}}';
    const r = scan(body);
    expect(r.ok && [slice(body, r.type), slice(body, r.payload)]).toEqual(['"b"', '{"n":2}']);
    expect(code('{"type":"a","type":1}')).toBe('bad_payload');
    expect(code('{"payload":{},"payload":null}')).toBe('bad_payload');
  });

  it('bad_payload: non-string type, non-object payload', () => {
    for (const b of ['{"type":1}', '{"type":null}', '{"type":{}}', '{"type":true}', '{"payload":[]}', '{"payload":"x"}', '{"payload":null}', '{"payload":0}']) {
      expect(code(b)).toBe('bad_payload');
    }
    expect(scan('{"payload":[]}')).toMatchObject({ message: expect.stringContaining('array') });
  });

  it('bad_body wins over bad_payload', () => {
    expect(code('{"type":1,}')).toBe('bad_body');
  });

  it('escaped keys: an escaped "type" counts, an escaped quote does not confuse it', () => {
    const body = '{"t\\u0079pe":"x","p\\u0061yload":{"k":1}}';
    const r = scan(body);
    expect(r.ok && [slice(body, r.type), slice(body, r.payload)]).toEqual(['"x"', '{"k":1}']);
    expect(scan('{"a\\"type":1,"type\\"":2}')).toEqual({ ok: true });
    expect(code('{"typ\\u0065":3}')).toBe('bad_payload');
    const esc = '{"type":"a\\"b\\\\c\\u00e9\\n"}';
    expect(scannedType(scan(esc), Buffer.from(esc))).toBe('a"b\\cé\n');
    expect(scannedType(scan('{"type":"plain"}'), Buffer.from('{"type":"plain"}'))).toBe('plain');
    expect(scannedType(scan('{}'), Buffer.from('{}'))).toBe('');
  });

  it('bad_body: not an object, or not exactly one', () => {
    for (const b of ['[]', '"x"', 'null', '1', 'true', '{} {}', '{}x', '{', '}', '{"a"}', '{"a":}', '{"a" 1}', '{a:1}', "{'a':1}", '{"a":1,}', '{,}', '{"a":[1,]}', '{"a":[,1]}', '\ufeff{}']) {
      expect(code(b), b).toBe('bad_body');
    }
  });

  it('numbers follow RFC 8259', () => {
    for (const n of ['0', '-0', '12', '-3.25', '1e5', '1E+5', '2.5e-3', '0.0', '1e400']) expect(code(`{"n":${n}}`), n).toBe('ok');
    for (const n of ['01', '-', '1.', '.5', '+1', '1e', '1e+', '0x1', 'NaN', 'Infinity', '-Infinity', '1.e3', '--1']) expect(code(`{"n":${n}}`), n).toBe('bad_body');
  });

  it('literals and strings', () => {
    expect(code('{"a":true,"b":false,"c":null}')).toBe('ok');
    for (const b of ['{"a":tru}', '{"a":nul}', '{"a":True}', '{"a":"x', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":"\\u12g4"}', '{"a":"tab\there"}', '{"a":"nl\nhere"}']) {
      expect(code(b), b).toBe('bad_body');
    }
    expect(code('{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00FFé😀\u2028"}')).toBe('ok');
  });

  it('escaped lone surrogates pass, as JSON.parse lets them', () => {
    expect(code('{"type":"\\ud800","payload":{"x":"\\udfff"}}')).toBe('ok');
  });

  it('refuses invalid UTF-8 that Buffer#toString would silently replace', () => {
    const wrap = (...bytes: number[]): Buffer => Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')]);
    for (const bad of [[0xff], [0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0xc3, 0x28]]) {
      expect(code(wrap(...bad)), bad.join(',')).toBe('bad_body');
    }
    for (const good of [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80], [0xf0, 0x9f, 0x98, 0x80], [0xf4, 0x8f, 0xbf, 0xbf]]) {
      expect(code(wrap(...good)), good.join(',')).toBe('ok');
    }
    // a high byte outside a string is a syntax error
    expect(code(Buffer.from([0x7b, 0xc3, 0xa9, 0x7d]))).toBe('bad_body');
  });

  it(`caps nesting at ${MAX_JSON_DEPTH} without recursion`, () => {
    const nest = (d: number): string => '{"a":' + '['.repeat(d - 1) + ']'.repeat(d - 1) + '}';
    expect(code(nest(MAX_JSON_DEPTH))).toBe('ok');
    expect(scan(nest(MAX_JSON_DEPTH + 1))).toMatchObject({ ok: false, code: 'bad_body', message: expect.stringContaining('deeper') });
    const mib = 1 << 20;
    expect(code('['.repeat(mib))).toBe('bad_body');
    expect(scan('{"a":' + '['.repeat(mib - 5))).toMatchObject({ ok: false, message: expect.stringContaining('deeper') });
    expect(code('{"a":' + '{"a":'.repeat(mib / 5 - 1))).toBe('bad_body');
  });

  it('scans a 1 MiB string value', () => {
    const body = Buffer.from(`{"type":"t","payload":{"s":"${'é'.repeat(500_000)}"}}`);
    const r = scanPubBody(body);
    expect(r.ok && r.payload && r.payload.end - r.payload.start).toBe(body.length - '{"type":"t","payload":'.length - 1);
  });
});

describe('scanPubBody agrees with JSON.parse', () => {
  it('on random bodies with whitespace, duplicate and escaped keys', () => {
    fc.assert(fc.property(arbBody, agrees), { numRuns: 1500 });
  });

  it('on mutated bodies (bit flips, insertions, deletions, truncations)', () => {
    fc.assert(fc.property(arbBody, fc.array(arbMutation, { minLength: 1, maxLength: 3 }), (body, m) => agrees(mutate(body, m))), { numRuns: 3000 });
  });

  it('on random bytes and random JSON texts', () => {
    const jsonish = fc.array(fc.constantFrom(...'{}[]":,  0123456789-+.eE\\/ubfnrt"aet\n'.split('')), { maxLength: 40 }).map((a) => Buffer.from(a.join('')));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)), jsonish, fc.json().map((s) => Buffer.from(s))), agrees),
      { numRuns: 3000 },
    );
  });
});
