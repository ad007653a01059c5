/** The RFC 5424 message as the parser returns it and the formatter takes it. */

/** One `NAME="VALUE"` of a structured-data element, unescaped; order and repeats kept. */
export interface SdParam {
  readonly name: string;
  readonly value: string;
}

/** One `[SD-ID params…]` element. */
export interface SdElement {
  readonly id: string;
  readonly params: readonly SdParam[];
}

export interface SyslogMessage {
  /** PRIVAL, facility × 8 + severity (0–191). */
  readonly pri: number;
  /** Always 1 (the only version parsed). */
  readonly version: number;
  /** TIMESTAMP as written (validated); null for NILVALUE. */
  readonly timestamp: string | null;
  /** HOSTNAME, APP-NAME, PROCID, MSGID; null for NILVALUE. */
  readonly hostname: string | null;
  readonly appName: string | null;
  readonly procId: string | null;
  readonly msgId: string | null;
  /** Elements in line order; empty for NILVALUE. */
  readonly sd: readonly SdElement[];
  /** MSG without its BOM; null when the line has none (no space after the SD). */
  readonly msg: string | null;
  /** MSG began with a UTF-8 BOM (removed from `msg`). */
  readonly bom: boolean;
}

export type ParseReason = 'empty' | 'bad_pri' | 'bad_version' | 'bad_timestamp' | 'bad_header' | 'bad_sd' | 'duplicate_sd_id' | 'too_long';

export interface ParseFailure {
  readonly ok: false;
  readonly reason: ParseReason;
  /** Index (UTF-16 code unit) in the line where parsing stopped. */
  readonly position: number;
}

export type ParseResult = { readonly ok: true; readonly message: SyslogMessage } | ParseFailure;
