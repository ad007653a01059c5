/**
 * Frame encoder (spec/bus.md §3.2): `VERB[ SP ARGS] LF`, a 4-byte big-endian body length,
 * the body.
 *
 * Invariant: the encoder never produces a frame that `FrameDecoder` (with the protocol's
 * limits) would reject or decode differently. So it refuses, with a `ProtocolError`:
 * an unknown verb, args with a byte outside printable ASCII (0x20–0x7E), args that start
 * or end with a space (the decoder trims them, so they would not round-trip), a header
 * over 4096 bytes with its LF, a body over 1 MiB. It does not check that a body is JSON:
 * that is the caller's contract, and re-parsing every outgoing body would cost what the
 * broker's re-mint saves.
 */
import { ProtocolError } from '../errors.js';
import { isVerb, LENGTH_BYTES, MAX_BODY_BYTES, MAX_HEADER_BYTES, type Verb } from './verbs.js';

const LF = 0x0a;
const SP = 0x20;

/** Header line length in bytes, LF included, after validating verb and args. */
function headerLength(verb: Verb, args: string): number {
  if (!isVerb(verb)) throw new ProtocolError('unknown_verb', `cannot encode unknown verb ${JSON.stringify(verb)}`, 'encode');
  if (args.length === 0) return verb.length + 1;
  // every accepted char is one byte, so UTF-16 length == byte length once validated
  const len = verb.length + 1 + args.length + 1;
  if (len > MAX_HEADER_BYTES) {
    throw new ProtocolError('header_too_long', `${verb} header would be ${len} bytes; the limit is ${MAX_HEADER_BYTES} with its LF`, 'encode');
  }
  for (let i = 0; i < args.length; i++) {
    const c = args.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new ProtocolError('header_not_ascii', `${verb} args contain U+${c.toString(16).padStart(4, '0').toUpperCase()} at ${i}; header bytes must be printable ASCII`, 'encode');
    }
  }
  if (args.charCodeAt(0) === SP || args.charCodeAt(args.length - 1) === SP) {
    throw new ProtocolError('header_not_ascii', `${verb} args ${JSON.stringify(args)} start or end with a space, which the decoder trims`, 'encode');
  }
  return len;
}

function checkBodyLength(verb: Verb, bodyLength: number): void {
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    throw new RangeError(`body length must be a non-negative integer, got ${bodyLength}`);
  }
  if (bodyLength > MAX_BODY_BYTES) {
    throw new ProtocolError('body_too_large', `${verb} body is ${bodyLength} bytes; the limit is ${MAX_BODY_BYTES}`, 'encode');
  }
}

/** Writes header and length into `buf` from 0; returns the offset of the body. */
function writeHead(buf: Buffer, verb: Verb, args: string, headLen: number, bodyLength: number): number {
  let o = buf.write(verb, 0, 'latin1');
  if (args.length > 0) {
    buf[o++] = SP;
    o += buf.write(args, o, 'latin1');
  }
  buf[o] = LF; // o === headLen - 1: headLen was computed from the same verb and args
  buf.writeUInt32BE(bodyLength, headLen);
  return headLen + LENGTH_BYTES;
}

/**
 * The header line and body length of a frame, without its body: a writer sends
 * `cork(); write(head); write(body); uncork()` and a large body is never copied.
 */
export function encodeFrameHead(verb: Verb, args: string, bodyLength: number): Buffer {
  const headLen = headerLength(verb, args);
  checkBodyLength(verb, bodyLength);
  const buf = Buffer.allocUnsafe(headLen + LENGTH_BYTES);
  writeHead(buf, verb, args, headLen, bodyLength);
  return buf;
}

/** One whole frame in one contiguous buffer. A string body is written as UTF-8. */
export function encodeFrame(verb: Verb, args = '', body?: Buffer | string): Buffer {
  const headLen = headerLength(verb, args);
  const bodyLength = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  checkBodyLength(verb, bodyLength);
  const buf = Buffer.allocUnsafe(headLen + LENGTH_BYTES + bodyLength);
  const at = writeHead(buf, verb, args, headLen, bodyLength);
  if (typeof body === 'string') buf.write(body, at, 'utf8');
  else if (body !== undefined) body.copy(buf, at);
  return buf;
}

/**
 * An `EVT` delivery frame. The broker encodes it once per event and writes the same
 * buffer to every receiver (bus.md §3.3).
 */
export function encodeEvt(topic: string, envelope: Buffer): Buffer {
  return encodeFrame('EVT', topic, envelope);
}

/** Bytes taken by the head of a frame (header line with LF, plus the length); validates. */
export function frameHeadLength(verb: Verb, args: string): number {
  return headerLength(verb, args) + LENGTH_BYTES;
}
