/**
 * The input record (ttp.md §1.1): one act, flat — rules write `command_text`, not
 * `fields.command_text`. Projection (log rows, journal, bus; or test and eval lines) builds
 * it once: derived fields, caps and the content-derived id are computed there, never on
 * the engine's hot path.
 */
import type { InputKind } from './kinds.js';

export interface InputSource {
  readonly type: 'log' | 'journal' | 'bus' | 'test' | 'eval';
  /** `logs.id`, journal `seq`, envelope id, or `<file>:<test>` — provenance, never part of the id. */
  readonly ref: string | number | null;
}

export interface InputCommon {
  readonly kind: InputKind;
  /** `<kind>:<32 hex>` (§1.5). */
  readonly id: string;
  /** Epoch ms (fraction allowed). */
  readonly ts: number;
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  readonly ts_text: string;
  /** IPv4 dotted quad or RFC 5952 IPv6; null when unknown. */
  readonly attacker_ip: string | null;
  readonly attacker_uuid?: string | null;
  readonly identity_uuid?: string | null;
  readonly session_id?: string | null;
  readonly decky?: string | null;
  readonly service?: string | null;
  readonly source?: InputSource;
}

/** An input: the common fields plus its kind's fields (kinds.ts), read by name. */
export type Input = InputCommon & { readonly [field: string]: unknown };

/** Strings a rule matches are cut to this many characters (DECNET_TTP_MAX_FIELD_CHARS, §1.1). */
export const MAX_FIELD_CHARS = 4096;
/** Lists a rule matches are cut to this many elements (§1.1). */
export const MAX_LIST_ITEMS = 64;
