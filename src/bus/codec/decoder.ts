/**
 * Frame decoder (spec/bus.md §3.2, §3.5): a byte-level state machine, in the manner of
 * nats.js's parser, that turns a stream of chunks into frames and pushes each one to a
 * callback.
 *
 * - A frame that lies whole inside one chunk is handed out with a zero-copy `body`
 *   (a `subarray` of the chunk, which therefore stays alive while the consumer holds it).
 * - Only a frame split across chunks is buffered: its header bytes in a reused scratch
 *   buffer (turned into strings once the LF arrives), its length bytes in a number, its
 *   body in a fresh buffer of exactly the declared size, so a consumer may keep `body`.
 * - No regular expressions, no per-byte allocation, no string built for the verb.
 * - A violation throws a `ProtocolError` carrying the state it was in; the decoder is
 *   then dead and every later `push`/`end` throws the same error. The connection that
 *   fed it is to be closed; nothing else is affected.
 *
 * Header rules, exactly: the line ends at the first LF; one CR right before the LF is
 * dropped; every other byte must be 0x20–0x7E (a tab, a CR elsewhere, a NUL or any byte
 * ≥ 0x80 is `header_not_ascii`); the line with its LF is at most `maxHeaderBytes`, and
 * having seen that many bytes without an LF is `header_too_long`. A line of zero bytes
 * (LF or CR LF alone) is `header_empty`. The verb is everything before the first space
 * (a line starting with a space has an empty verb: `unknown_verb`); args are the rest with
 * leading and trailing spaces removed (the only whitespace a valid header can hold).
 */
import { ProtocolError, type ProtocolErrorCode } from '../errors.js';
import { LENGTH_BYTES, MAX_BODY_BYTES, MAX_HEADER_BYTES, verbAt, type Verb } from './verbs.js';

export interface Frame {
  readonly verb: Verb;
  /** Header args, spaces trimmed; '' when the header is the verb alone. */
  readonly args: string;
  /** The body bytes (possibly empty). Zero-copy when the frame arrived within one chunk. */
  readonly body: Buffer;
}

export interface FrameLimits {
  /** Largest header line, LF included (bytes). Default 4096. */
  maxHeaderBytes?: number;
  /** Largest declared body (bytes). Default 1,048,576. */
  maxBodyBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;
const STATE_NAMES = ['header', 'length', 'body'] as const;

const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;

  private state = HEADER;
  private failure: unknown = undefined;
  private ended = false;
  private pushing = false;

  // header phase: counters over the whole header line, wherever its bytes came from
  private hdrCount = 0; // header bytes seen so far (no LF yet) — includes a pending CR
  private hdrSpace = -1; // offset of the first space within the line, -1 if none yet
  private hdrCR = false; // the last byte seen was CR (it must be followed by LF)
  private hdrHeld = 0; // of hdrCount, the bytes copied into hdrBuf (split header)
  private hdrBuf: Buffer | undefined; // scratch, allocated on the first split header, reused

  // header parsed, waiting for length and body
  private verb: Verb = 'HELLO';
  private args = '';

  // length phase (split across chunks)
  private lenHeld = 0;
  private lenAcc = 0;

  // body phase
  private bodyLen = 0;
  private bodyBuf: Buffer | undefined; // allocated only when the body is split
  private bodyFill = 0;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    limits: FrameLimits = {},
  ) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
    this.maxBodyBytes = limits.maxBodyBytes ?? MAX_BODY_BYTES;
    if (!Number.isSafeInteger(this.maxHeaderBytes) || this.maxHeaderBytes < 2) throw new RangeError(`maxHeaderBytes must be an integer ≥ 2, got ${this.maxHeaderBytes}`);
    if (!Number.isSafeInteger(this.maxBodyBytes) || this.maxBodyBytes < 0 || this.maxBodyBytes > 0xffff_ffff) throw new RangeError(`maxBodyBytes must be an integer in [0, 2^32), got ${this.maxBodyBytes}`);
  }

  /**
   * Bytes the decoder holds for the frame in progress (bytes): header bytes copied, length
   * bytes held, and the size of the buffer allocated for a split body. 0 between frames
   * and whenever every chunk held only whole frames; never more than
   * maxHeaderBytes + 4 + maxBodyBytes.
   */
  get buffered(): number {
    return this.hdrHeld + this.lenHeld + (this.bodyBuf === undefined ? 0 : this.bodyBuf.length);
  }

  /** True once a frame has started and is not finished. */
  get midFrame(): boolean {
    return this.state !== HEADER || this.hdrCount > 0;
  }

  /** Feeds bytes; calls `onFrame` for every frame completed by them, in order. */
  push(chunk: Buffer): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new Error('FrameDecoder.push after end()');
    if (this.pushing) throw new Error('FrameDecoder.push called from its own onFrame');
    this.pushing = true;
    try {
      this.run(chunk);
    } catch (err) {
      // a ProtocolError, or onFrame threw: the rest of the chunk is unread either way,
      // so the stream is out of step and the decoder must not be used again
      this.failure = err;
      throw err;
    } finally {
      this.pushing = false;
    }
  }

  /** The stream ended. Throws `truncated` when it ended in the middle of a frame. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    this.ended = true;
    if (this.midFrame) {
      const what =
        this.state === HEADER ? `${this.hdrCount} header bytes without LF` : this.state === LENGTH ? `${this.lenHeld} of ${LENGTH_BYTES} length bytes` : `${this.bodyFill} of ${this.bodyLen} body bytes`;
      this.failure = this.fail('truncated', `stream ended mid-frame after ${what}`);
      throw this.failure;
    }
  }

  private fail(code: ProtocolErrorCode, message: string): ProtocolError {
    return new ProtocolError(code, message, STATE_NAMES[this.state]);
  }

  private run(chunk: Buffer): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.state === HEADER) {
        pos = this.scanHeader(chunk, pos, end);
      } else if (this.state === LENGTH) {
        if (this.lenHeld === 0 && end - pos >= LENGTH_BYTES) {
          this.lenAcc = chunk.readUInt32BE(pos);
          pos += LENGTH_BYTES;
        } else {
          while (pos < end && this.lenHeld < LENGTH_BYTES) {
            this.lenAcc = this.lenAcc * 256 + chunk[pos++]!; // * not <<: stays unsigned
            this.lenHeld++;
          }
          if (this.lenHeld < LENGTH_BYTES) return;
          this.lenHeld = 0;
        }
        this.lengthDone();
      } else {
        pos = this.scanBody(chunk, pos, end);
      }
    }
  }

  /** Header phase from `pos`; returns where it stopped (after the LF, or `end`). */
  private scanHeader(chunk: Buffer, pos: number, end: number): number {
    const max = this.maxHeaderBytes;
    let count = this.hdrCount;
    let space = this.hdrSpace;
    let cr = this.hdrCR;
    let i = pos;
    for (; i < end; i++) {
      const b = chunk[i]!;
      if (b === LF) break;
      if (cr) throw this.fail('header_not_ascii', `CR not followed by LF at header byte ${count - 1}`);
      if (b === CR) cr = true;
      else if (b < 0x20 || b > 0x7e) throw this.fail('header_not_ascii', `byte 0x${b.toString(16).padStart(2, '0')} at header byte ${count}`);
      else if (b === SP && space < 0) space = count;
      // the LF, not yet seen, would make the line count + 1 bytes long
      if (++count >= max) throw this.fail('header_too_long', `no LF within ${max} bytes`);
    }
    if (i === end) {
      // split header: keep its bytes for the next chunk
      const n = end - pos;
      if (n > 0) {
        const buf = (this.hdrBuf ??= Buffer.allocUnsafe(max));
        chunk.copy(buf, this.hdrHeld, pos, end);
        this.hdrHeld += n;
      }
      this.hdrCount = count;
      this.hdrSpace = space;
      this.hdrCR = cr;
      return end;
    }
    const lineLen = cr ? count - 1 : count;
    if (this.hdrHeld === 0) {
      this.parseHeader(chunk, pos, lineLen, space);
    } else {
      const buf = this.hdrBuf!;
      chunk.copy(buf, this.hdrHeld, pos, i);
      this.parseHeader(buf, 0, lineLen, space);
    }
    this.hdrCount = 0;
    this.hdrSpace = -1;
    this.hdrCR = false;
    this.hdrHeld = 0;
    this.state = LENGTH;
    return i + 1;
  }

  /** Sets verb and args from a complete line `buf[start, start + lineLen)` (LF and CR excluded). */
  private parseHeader(buf: Buffer, start: number, lineLen: number, space: number): void {
    if (lineLen === 0) throw this.fail('header_empty', 'empty header line');
    const lineEnd = start + lineLen;
    const verbEnd = space < 0 ? lineEnd : start + space;
    const verb = verbAt(buf, start, verbEnd);
    if (verb === undefined) {
      throw this.fail('unknown_verb', `unknown verb ${JSON.stringify(buf.toString('latin1', start, Math.min(verbEnd, start + 32)))} (verbs are upper-case)`);
    }
    this.verb = verb;
    if (space < 0) {
      this.args = '';
      return;
    }
    let a = verbEnd + 1;
    let z = lineEnd;
    while (a < z && buf[a] === SP) a++;
    while (z > a && buf[z - 1] === SP) z--;
    // header bytes are validated ASCII, so latin1 decoding is exact and fast
    this.args = a === z ? '' : buf.toString('latin1', a, z);
  }

  private lengthDone(): void {
    const len = this.lenAcc;
    this.lenAcc = 0;
    if (len > this.maxBodyBytes) throw this.fail('body_too_large', `${this.verb} declares a ${len}-byte body; the limit is ${this.maxBodyBytes}`);
    if (len === 0) {
      this.emit(EMPTY);
      return;
    }
    this.bodyLen = len;
    this.state = BODY;
  }

  /** Body phase from `pos`; returns where it stopped. */
  private scanBody(chunk: Buffer, pos: number, end: number): number {
    const avail = end - pos;
    let buf = this.bodyBuf;
    if (buf === undefined) {
      if (avail >= this.bodyLen) {
        const stop = pos + this.bodyLen;
        this.emit(chunk.subarray(pos, stop));
        return stop;
      }
      // split body: a fresh buffer per frame, since the consumer may keep it
      buf = this.bodyBuf = Buffer.allocUnsafe(this.bodyLen);
      chunk.copy(buf, 0, pos, end);
      this.bodyFill = avail;
      return end;
    }
    const take = Math.min(this.bodyLen - this.bodyFill, avail);
    chunk.copy(buf, this.bodyFill, pos, pos + take);
    this.bodyFill += take;
    if (this.bodyFill === this.bodyLen) {
      this.bodyBuf = undefined;
      this.bodyFill = 0;
      this.emit(buf);
    }
    return pos + take;
  }

  /** Resets to the header phase, then hands the frame out (state is consistent if onFrame throws). */
  private emit(body: Buffer): void {
    const frame: Frame = { verb: this.verb, args: this.args, body };
    this.state = HEADER;
    this.bodyLen = 0;
    this.args = '';
    this.onFrame(frame);
  }
}
