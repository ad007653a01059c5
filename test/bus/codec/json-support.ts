/** Arbitraries of JSON texts for the body scanner and mint tests, and the JSON.parse oracle. */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What `JSON.parse` + the PUB shape check say about a body (the scanner must agree). */
export type Verdict = { ok: true; obj: Record<string, unknown> } | { ok: false; code: 'bad_body' | 'bad_payload' };

export function oracle(body: Buffer): Verdict {
  let obj: unknown = {};
  if (body.length > 0) {
    // toString would replace bad UTF-8 with U+FFFD and let it pass: the scanner refuses it
    if (!isUtf8(body)) return { ok: false, code: 'bad_body' };
    try {
      obj = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, code: 'bad_body' };
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, code: 'bad_body' };
  const o = obj as Record<string, unknown>;
  if (Object.hasOwn(o, 'type') && typeof o.type !== 'string') return { ok: false, code: 'bad_payload' };
  if (Object.hasOwn(o, 'payload')) {
    const p = o.payload;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) return { ok: false, code: 'bad_payload' };
  }
  return { ok: true, obj: o };
}

/** Serialises with whitespace drawn in turn from `ws`, escaping each key fully when `escKeys` says so. */
export class Writer {
  private w = 0;
  private e = 0;
  constructor(
    private readonly ws: readonly string[],
    private readonly escKeys: readonly boolean[],
  ) {}

  private space(): string {
    return this.ws.length === 0 ? '' : this.ws[this.w++ % this.ws.length]!;
  }

  key(k: string): string {
    const esc = this.escKeys.length > 0 && this.escKeys[this.e++ % this.escKeys.length]!;
    if (!esc) return JSON.stringify(k);
    let s = '"';
    for (let i = 0; i < k.length; i++) s += '\\u' + k.charCodeAt(i).toString(16).padStart(4, '0');
    return s + '"';
  }

  value(v: Json): string {
    const s = this.space;
    if (Array.isArray(v)) return `[${s.call(this)}${v.map((x) => this.value(x) + s.call(this)).join(',' + s.call(this))}]`;
    if (v !== null && typeof v === 'object') return this.entries(Object.entries(v));
    return JSON.stringify(v);
  }

  /** An object from an entry list, which may repeat keys. */
  entries(list: ReadonlyArray<readonly [string, Json]>): string {
    const s = (): string => this.space();
    return `{${s()}${list.map(([k, v]) => `${this.key(k)}${s()}:${s()}${this.value(v)}${s()}`).join(',' + s())}}`;
  }

  /** A whole body: surrounding whitespace too. */
  body(list: ReadonlyArray<readonly [string, Json]>): string {
    return this.space() + this.entries(list) + this.space();
  }
}

export const arbWs = fc.array(fc.constantFrom('', '', ' ', '\n', '\t', '\r\n', '  \t '), { maxLength: 6 });
export const arbEsc = fc.array(fc.boolean(), { maxLength: 4 });

const arbValue = fc.jsonValue({ maxDepth: 3, stringUnit: fc.oneof(fc.constantFrom('a', 'é', '"', '\\', '\u2028', '\u{1F600}', '\0'), fc.string({ unit: 'binary', maxLength: 1 })) }) as fc.Arbitrary<Json>;
const arbObject = fc.dictionary(fc.string({ maxLength: 6 }), arbValue, { maxKeys: 5 }) as fc.Arbitrary<Json>;

/** A member list for a PUB body: `type` and `payload` keys likely, duplicated sometimes, wrong-typed sometimes. */
export const arbEntries: fc.Arbitrary<Array<[string, Json]>> = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('type'), fc.oneof({ weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) as fc.Arbitrary<Json> }, { weight: 1, arbitrary: arbValue })),
    fc.tuple(fc.constant('payload'), fc.oneof({ weight: 4, arbitrary: arbObject }, { weight: 1, arbitrary: arbValue })),
    fc.tuple(fc.constantFrom('v', 'id', 'topic', 'ts', 'typ', 'payloads', ''), arbValue),
    fc.tuple(fc.string({ maxLength: 8 }), arbValue),
  ),
  { maxLength: 6 },
);

/** A body from entries, with random whitespace and key escaping. */
export const arbBody = fc.tuple(arbEntries, arbWs, arbEsc).map(([entries, ws, esc]) => Buffer.from(new Writer(ws, esc).body(entries), 'utf8'));
