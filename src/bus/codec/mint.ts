/**
 * The broker's re-mint (spec/bus.md §3.3, CORRECTIONS #3.11): from a scanned PUB body it
 * writes the delivered envelope
 *
 *   {"v":1,"id":"…","topic":"…","type":<type bytes or "">,"ts":<ts>,"payload":<payload bytes or {}>}
 *
 * in the wire key order of bus.md §1, copying the publisher's `type` and `payload` bytes
 * as they are: no JSON.parse, no JSON.stringify of the payload. Everything else in the
 * body (a `topic`, `id` or `ts` written by the publisher, unknown keys) is dropped, so a
 * publisher cannot spoof them. The result is one Buffer that goes to every receiver.
 *
 * The copied slices are valid JSON because `scanPubBody` validated them; passing a scan
 * of another body is a caller bug this module cannot detect.
 */
import { ProtocolError } from '../errors.js';
import type { PubBodyScan } from './body-scanner.js';
import { frameHeadLength } from './encoder.js';
import { LENGTH_BYTES, MAX_BODY_BYTES } from './verbs.js';

/** A scan that accepted its body. */
export type AcceptedScan = Extract<PubBodyScan, { ok: true }>;

const QUOTE = 0x22;
const CLOSE = 0x7d; // }
const EMPTY_TYPE = Buffer.from('""');
const EMPTY_PAYLOAD = Buffer.from('{}');
/** Below this, a JS byte loop beats a native copy's call overhead (bytes). */
const SHORT_COPY = 32;

/** True when JSON writes `s` as itself between quotes: printable ASCII without `"` or `\`. */
function jsonPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) return false;
  }
  return true;
}

function putSlice(out: Buffer, o: number, src: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= SHORT_COPY) for (let k = 0; k < len; k++) out[o + k] = src[start + k]!;
  else src.copy(out, o, start, end);
  return o + len;
}

/**
 * `prefix` + envelope in a fresh buffer. The fixed and ASCII parts go out as two latin1
 * strings (one native write each: for parts this small, a write per field costs more
 * than the bytes), the publisher's slices as copies.
 */
function mint(prefix: string, topic: string, id: string, ts: number, body: Buffer, scan: AcceptedScan): Buffer {
  if (!Number.isFinite(ts)) throw new RangeError(`ts must be a finite number of epoch seconds, got ${ts}`);
  const idPlain = jsonPlain(id);
  const topicPlain = jsonPlain(topic);
  const head = `${prefix}{"v":1,"id":${idPlain ? `"${id}"` : JSON.stringify(id)},"topic":${topicPlain ? `"${topic}"` : JSON.stringify(topic)},"type":`;
  // latin1 is exact for ASCII only: JSON.stringify leaves non-ASCII chars raw (the prefix is ASCII)
  const headAscii = idPlain && topicPlain;
  const headLen = headAscii ? head.length : Buffer.byteLength(head, 'utf8');
  const mid = `,"ts":${ts},"payload":`; // ASCII: digits, sign, dot, exponent
  const type = scan.type;
  const payload = scan.payload;
  const typeLen = type === undefined ? 2 : type.end - type.start;
  const payloadLen = payload === undefined ? 2 : payload.end - payload.start;
  const out = Buffer.allocUnsafe(headLen + typeLen + mid.length + payloadLen + 1);
  let o = out.write(head, 0, headLen, headAscii ? 'latin1' : 'utf8');
  o = type === undefined ? putSlice(out, o, EMPTY_TYPE, 0, 2) : putSlice(out, o, body, type.start, type.end);
  o += out.write(mid, o, 'latin1');
  o = payload === undefined ? putSlice(out, o, EMPTY_PAYLOAD, 0, 2) : putSlice(out, o, body, payload.start, payload.end);
  out[o] = CLOSE;
  return out;
}

/**
 * The envelope bytes for a PUB whose body `scan` accepted. `ts` is epoch seconds (float),
 * written as JavaScript prints numbers. The size is not checked: a broker refuses a result
 * over `MAX_BODY_BYTES` with `too_large` (CORRECTIONS #3.3), or uses `mintEvtFrame`.
 */
export function mintEnvelopeBytes(topic: string, id: string, ts: number, body: Buffer, scan: AcceptedScan): Buffer {
  return mint('', topic, id, ts, body, scan);
}

/**
 * The whole `EVT <topic>` frame around a freshly minted envelope, in one buffer (no second
 * copy of the envelope into a frame); `envelope` is a view into `frame` from `bodyOffset`. Throws
 * a ProtocolError (`body_too_large`) when the envelope is over the frame limit, and the
 * encoder's errors when `topic` cannot be a header argument (a valid topic always can).
 */
export function mintEvtFrame(topic: string, id: string, ts: number, body: Buffer, scan: AcceptedScan): { frame: Buffer; envelope: Buffer; bodyOffset: number } {
  // the length is written over the four NULs once the envelope's size is known
  const bodyOffset = frameHeadLength('EVT', topic);
  const frame = mint(`EVT ${topic}\n\0\0\0\0`, topic, id, ts, body, scan);
  const envLen = frame.length - bodyOffset;
  if (envLen > MAX_BODY_BYTES) throw new ProtocolError('body_too_large', `minted envelope for ${topic} is ${envLen} bytes; the limit is ${MAX_BODY_BYTES}`, 'mint');
  frame.writeUInt32BE(envLen, bodyOffset - LENGTH_BYTES);
  return { frame, envelope: frame.subarray(bodyOffset), bodyOffset };
}
