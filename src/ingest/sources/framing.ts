/**
 * RFC 6587 framing for syslog over TCP (eventplane.md §8.3), decided per frame: a leading
 * digit is octet counting (`LEN SP MSG`, no leading zero, LEN ≤ the line limit), `<` is a
 * LF-terminated frame (non-transparent framing). Whitespace between frames is skipped.
 * Anything else is a framing error: the decoder stops and the listener closes that
 * connection only (after recording an unparsed row). Memory is bounded by the line limit.
 */
import { LineSplitter, TOO_LONG_KEEP, type SplitLine } from './lines.js';

export type Frame = { readonly kind: 'line'; readonly line: SplitLine } | { readonly kind: 'error'; readonly reason: string; readonly preview: Buffer };

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

export class FrameDecoder {
  private mode: 'start' | 'length' | 'octets' | 'lf' | 'failed' = 'start';
  private length = 0;
  private digits = 0;
  private octets: Buffer[] = [];
  private need = 0;
  private readonly lf: LineSplitter;

  constructor(private readonly maxLine: number) {
    this.lf = new LineSplitter(maxLine);
  }

  get failed(): boolean {
    return this.mode === 'failed';
  }

  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    let pos = 0;
    while (pos < chunk.length && this.mode !== 'failed') {
      const b = chunk[pos] as number;
      switch (this.mode) {
        case 'start':
          if (b === 0x0a || b === 0x0d || b === 0x20 || b === 0x00 || b === 0x09) {
            pos++;
          } else if (b === 0x3c) {
            this.mode = 'lf';
          } else if (isDigit(b) && b !== 0x30) {
            this.mode = 'length';
            this.length = 0;
            this.digits = 0;
          } else {
            out.push(this.fail('bad_frame', chunk.subarray(pos)));
          }
          break;
        case 'length':
          if (isDigit(b)) {
            this.length = this.length * 10 + (b - 0x30);
            if (++this.digits > 9 || this.length > this.maxLine) out.push(this.fail('bad_frame_length', chunk.subarray(Math.max(0, pos - this.digits), pos + 1)));
            pos++;
          } else if (b === 0x20) {
            this.mode = 'octets';
            this.need = this.length;
            this.octets = [];
            pos++;
            if (this.need === 0) out.push(this.octetFrame());
          } else {
            out.push(this.fail('bad_frame_length', chunk.subarray(pos)));
          }
          break;
        case 'octets': {
          const take = Math.min(this.need, chunk.length - pos);
          this.octets.push(Buffer.from(chunk.subarray(pos, pos + take)));
          this.need -= take;
          pos += take;
          if (this.need === 0) out.push(this.octetFrame());
          break;
        }
        case 'lf': {
          // hand the rest to the splitter up to and including the first LF
          const lfAt = chunk.indexOf(10, pos);
          const end = lfAt === -1 ? chunk.length : lfAt + 1;
          for (const line of this.lf.push(chunk.subarray(pos, end))) out.push({ kind: 'line', line });
          if (lfAt !== -1) this.mode = 'start';
          pos = end;
          break;
        }
      }
    }
    return out;
  }

  /** The connection closed: a pending LF frame counts as a line; a cut octet frame is an error. */
  end(): Frame[] {
    if (this.mode === 'lf') {
      const last = this.lf.finish();
      this.mode = 'start';
      return last ? [{ kind: 'line', line: last }] : [];
    }
    if (this.mode === 'octets' || this.mode === 'length') return [this.fail('truncated_frame', Buffer.concat(this.octets).subarray(0, TOO_LONG_KEEP))];
    return [];
  }

  private octetFrame(): Frame {
    let bytes = this.octets.length === 1 ? (this.octets[0] as Buffer) : Buffer.concat(this.octets);
    while (bytes.length > 0 && (bytes[bytes.length - 1] === 0x0a || bytes[bytes.length - 1] === 0x00)) bytes = bytes.subarray(0, -1);
    this.octets = [];
    this.mode = 'start';
    return { kind: 'line', line: { bytes, endOffset: 0, tooLong: false } };
  }

  private fail(reason: string, preview: Buffer): Frame {
    this.mode = 'failed';
    return { kind: 'error', reason, preview: Buffer.from(preview.subarray(0, TOO_LONG_KEEP)) };
  }
}
