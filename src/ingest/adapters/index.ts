/**
 * Decoding a line of any format into a record (eventplane.md §8.4): `rfc5424`, `cowrie`,
 * `opencanary`, or `auto`, which decides per line (`<` RFC 5424; `eventid` `cowrie.…`
 * Cowrie; `logtype` OpenCanary). One decoder per source: Cowrie's session memory is
 * per source. Total: a bad line is an `unparsed` result with its reason, never a throw.
 */
import { nativeRecord } from '../native.js';
import type { Decoded, IngestFormat, RawLine } from '../record.js';
import { DEFAULT_MAX_LINE, parseRfc5424 } from '../rfc5424/index.js';
import { CowrieAdapter, isCowrieEvent, type AdapterContext } from './cowrie.js';
import { readJsonObject } from './json.js';
import { decodeOpenCanary, isOpenCanaryEvent } from './opencanary.js';

export { OPENCANARY_LOGTYPES } from './opencanary.js';

export interface LineDecoderOptions {
  readonly format: IngestFormat;
  /** The rows' `source` unless a line carries its own (`udp:<peer>`). */
  readonly source: string;
  /** `--decky`: the decky of adapter rows. */
  readonly decky?: string | undefined;
  /** Longest line (DECNET_INGEST_MAX_LINE). */
  readonly maxLine?: number;
}

export class LineDecoder {
  private readonly cowrie = new CowrieAdapter();
  private readonly maxLine: number;

  constructor(private readonly opts: LineDecoderOptions) {
    this.maxLine = opts.maxLine ?? DEFAULT_MAX_LINE;
  }

  decode(line: RawLine, receivedAt: string): Decoded {
    if (line.unparsed) return { kind: 'unparsed', reason: line.unparsed.reason, position: line.unparsed.position };
    const source = line.rowSource ?? this.opts.source;
    const text = line.text;
    const format = this.opts.format === 'auto' ? sniff(text) : this.opts.format;
    if (format === 'rfc5424') {
      const parsed = parseRfc5424(text, this.maxLine);
      if (!parsed.ok) return { kind: 'unparsed', reason: parsed.reason, position: parsed.position };
      return { kind: 'row', record: nativeRecord(parsed.message, { rawLine: text, source, receivedAt, invalidUtf8: line.invalidUtf8 === true }) };
    }
    if (format === null) return { kind: 'unparsed', reason: text.trim() === '' ? 'empty' : 'unknown_format', position: null };
    if (text.trim() === '') return { kind: 'unparsed', reason: 'empty', position: null };
    const json = readJsonObject(text);
    if (!json.ok) return { kind: 'unparsed', reason: json.reason, position: null };
    const ctx: AdapterContext = { rawLine: text, source, receivedAt, decky: this.opts.decky };
    if (this.opts.format === 'auto') {
      if (isCowrieEvent(json.value)) return this.flagged(this.cowrie.decode(json.value, ctx), line);
      if (isOpenCanaryEvent(json.value)) return this.flagged(decodeOpenCanary(json.value, ctx), line);
      return { kind: 'unparsed', reason: 'unknown_format', position: null };
    }
    return this.flagged(format === 'cowrie' ? this.cowrie.decode(json.value, ctx) : decodeOpenCanary(json.value, ctx), line);
  }

  private flagged(decoded: Decoded, line: RawLine): Decoded {
    if (decoded.kind === 'row' && line.invalidUtf8) decoded.record.flags.push('invalid_utf8');
    return decoded;
  }
}

/** `auto`: the format of one line, or null when it is neither syslog nor JSON. */
function sniff(text: string): 'rfc5424' | 'json' | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) continue;
    if (c === 0x3c) return i === 0 ? 'rfc5424' : null;
    if (c === 0x7b) return 'json';
    return null;
  }
  return null;
}
