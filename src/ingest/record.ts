/**
 * What a decoded line becomes before it is stored: one `logs` row in the making
 * (eventplane.md §8.6), whatever format it came in. Field values are strings (the SD
 * parameters of a native line; adapters flatten theirs the same way), so consumers read
 * every row alike.
 */
export { INGEST_FORMATS, type IngestFormat } from '../config/ingest.js';

/** A plaintext credential an adapter found (never stored as such unless configured). */
export interface AdapterCredential {
  readonly principal: string;
  readonly secret: string;
  readonly kind: string;
}

export interface LogRecord {
  /** UTC, six fractional digits. */
  timestamp: string;
  receivedAt: string;
  decky: string | null;
  service: string | null;
  eventType: string | null;
  attackerIp: string | null;
  severity: number | null;
  facility: number | null;
  procid: string | null;
  fields: Record<string, string>;
  /** Other SD elements by SD-ID (native lines only). */
  sd: Record<string, Record<string, string>> | null;
  msg: string | null;
  rawLine: string;
  /** `file:<path>`, `udp:<peer>`, `cowrie:<path>`… */
  source: string;
  /** `nil_timestamp`, `bad_timestamp`, `invalid_utf8`, `bom`, `double_wrap`. */
  flags: string[];
  /** Which decoder made the row (redaction rewrites the raw line per format). */
  readonly format: 'rfc5424' | 'cowrie' | 'opencanary';
  credential?: AdapterCredential;
}

/** One line handed to the pipeline by a source. */
export interface RawLine {
  /** The line without its LF (a `too_long` line: its first 8 KiB). */
  readonly text: string;
  /** The bytes were not valid UTF-8 (replaced by U+FFFD). */
  readonly invalidUtf8?: boolean;
  /** Set when the source already knows the line cannot be parsed (`too_long`, `bad_frame`). */
  readonly unparsed?: { readonly reason: string; readonly position: number | null };
  /** `udp:<peer>` / `tcp:<peer>`: the row's source when it differs from the source's. */
  readonly rowSource?: string;
  /** Files: the byte offset just past this line (its LF). */
  readonly endOffset?: number;
  /** When the source read the bytes (its chunk or datagram); default: when the batcher took the line. */
  readonly receivedAt?: string;
}

export type Decoded =
  | { readonly kind: 'row'; readonly record: LogRecord }
  | { readonly kind: 'unparsed'; readonly reason: string; readonly position: number | null }
  /** Not stored, counted (OpenCanary's own messages). */
  | { readonly kind: 'skip'; readonly why: string };

/** A map without a prototype, so a key such as `__proto__` from a line is just a key. */
export function dict<T = string>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
