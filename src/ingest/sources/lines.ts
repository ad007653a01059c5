/**
 * Bytes → lines: LF splitting with a bounded line length, and the one decode every source
 * uses. A line longer than the limit is kept as its first 8 KiB, flagged, and the rest is
 * skipped up to its LF (eventplane.md §8.3), so memory per source stays bounded whatever
 * a writer sends. Offsets are absolute byte positions (a file's), one past the LF.
 */
import { isUtf8 } from 'node:buffer';
import { cleanText } from '../normalize.js';
import type { RawLine } from '../record.js';

/** Bytes of an over-long line that are kept (as the unparsed row's raw text). */
export const TOO_LONG_KEEP = 8 * 1024;

export interface SplitLine {
  /** The line without its LF (an over-long one: its first 8 KiB). */
  readonly bytes: Buffer;
  /** Byte offset just past this line's LF (or the end, for a final partial line). */
  readonly endOffset: number;
  readonly tooLong: boolean;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private discarding = false;

  /** `offset`: the absolute position of the next byte pushed. */
  constructor(
    private readonly maxLine: number,
    private offset = 0,
  ) {}

  /** Bytes of a partial line held (or, when over-long, being skipped). */
  get partial(): boolean {
    return this.held > 0 || this.discarding;
  }

  /** Restarts at `offset`, dropping any partial line. */
  reset(offset: number): void {
    this.parts = [];
    this.held = 0;
    this.discarding = false;
    this.offset = offset;
  }

  /** The complete lines in `chunk` (its bytes may be reused by the caller afterwards: lines are decoded at once or copied). */
  push(chunk: Buffer): SplitLine[] {
    const out: SplitLine[] = [];
    let pos = 0;
    const base = this.offset;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(10, pos);
      if (lf === -1) {
        this.hold(chunk.subarray(pos));
        break;
      }
      if (!this.partial && lf - pos <= this.maxLine) {
        out.push({ bytes: chunk.subarray(pos, lf), endOffset: base + lf + 1, tooLong: false });
      } else {
        this.hold(chunk.subarray(pos, lf));
        out.push(this.take(base + lf + 1));
      }
      pos = lf + 1;
    }
    this.offset += chunk.length;
    return out;
  }

  /** The final partial line, if any (end of input, or the old file of a rotation). */
  finish(): SplitLine | undefined {
    return this.partial ? this.take(this.offset) : undefined;
  }

  private hold(part: Buffer): void {
    if (part.length === 0 || (this.discarding && this.held >= TOO_LONG_KEEP)) return;
    if (!this.discarding && this.held + part.length > this.maxLine) this.discarding = true;
    const room = this.discarding ? TOO_LONG_KEEP - this.held : part.length;
    const kept = Buffer.from(part.subarray(0, Math.max(0, room))); // a copy: the caller reuses its buffer
    this.parts.push(kept);
    this.held += kept.length;
  }

  private take(endOffset: number): SplitLine {
    const bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    const line = { bytes: this.discarding ? bytes.subarray(0, TOO_LONG_KEEP) : bytes, endOffset, tooLong: this.discarding };
    this.parts = [];
    this.held = 0;
    this.discarding = false;
    return line;
  }
}

/** A line's text: UTF-8 (invalid bytes → U+FFFD, flagged), a trailing CR dropped, NUL → U+FFFD. */
export function decodeLine(bytes: Buffer): { text: string; invalidUtf8: boolean } {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  const body = end === bytes.length ? bytes : bytes.subarray(0, end);
  const raw = body.toString('utf8');
  const invalidUtf8 = raw.includes('\ufffd') && !isUtf8(body);
  return { text: raw.includes('\0') ? cleanText(raw) : raw, invalidUtf8 };
}

/** The pipeline's line for a split line (an over-long one is already unparsed). A network line names its peer and has no offset. */
export function rawLineOf(line: SplitLine, receivedAt: string, rowSource?: string): RawLine {
  const { text, invalidUtf8 } = decodeLine(line.bytes);
  const unparsed = line.tooLong ? TOO_LONG : undefined;
  if (rowSource !== undefined) return { text, invalidUtf8, unparsed, rowSource, receivedAt };
  return { text, invalidUtf8, unparsed, endOffset: line.endOffset, receivedAt };
}

const TOO_LONG = { reason: 'too_long', position: null } as const;
