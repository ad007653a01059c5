/**
 * The verbs of the broker's wire protocol (spec/bus.md §3.2, §3.4; CORRECTIONS #3.2,
 * #3.3, #3.12) and the framing limits shared by the encoder and the decoder.
 *
 * Verbs are upper-case ASCII and case-sensitive: `pub` is not `PUB`, it is an unknown
 * verb. The decoder accepts every verb below; whether a verb is allowed from this peer
 * (an `EVT` sent by a client, a `PING` before v2 was negotiated) is the connection's
 * business, not the codec's.
 */
import { MAX_BODY_BYTES } from '../envelope.js';

/** Protocol v1: byte-compatible with the reference Python bus. */
export const V1_VERBS = ['HELLO', 'PUB', 'SUB', 'UNSUB', 'EVT', 'BYE'] as const;
/** Added by protocol v2 (negotiated with HELLO `{"proto":2}`). */
export const V2_ONLY_VERBS = ['PING', 'PONG', 'ERR', 'SUBOK', 'STATS'] as const;

export type V1Verb = (typeof V1_VERBS)[number];
export type Verb = V1Verb | (typeof V2_ONLY_VERBS)[number];

/** Every verb, v1 first. */
export const VERBS: readonly Verb[] = [...V1_VERBS, ...V2_ONLY_VERBS];

/** Verbs a v1 peer may use. */
export const V1_VERB_SET: ReadonlySet<Verb> = new Set<Verb>(V1_VERBS);
/** Verbs a v2 peer may use (v1's plus the v2 additions). */
export const V2_VERB_SET: ReadonlySet<Verb> = new Set<Verb>(VERBS);

/**
 * Verbs a client may send. `EVT`, `SUBOK`, `PONG` and `ERR` from a client are framing
 * errors (bus.md §3.5, CORRECTIONS #3.3); `PING` and `STATS` need v2 (#3.12).
 */
export const FROM_CLIENT: ReadonlySet<Verb> = new Set<Verb>(['HELLO', 'PUB', 'SUB', 'UNSUB', 'BYE', 'PING', 'STATS']);
/** Verbs a broker may send. A v1 client only ever receives `EVT`. */
export const FROM_BROKER: ReadonlySet<Verb> = new Set<Verb>(['HELLO', 'EVT', 'BYE', 'PONG', 'ERR', 'SUBOK', 'STATS']);

export function isVerb(s: unknown): s is Verb {
  return typeof s === 'string' && (V2_VERB_SET as ReadonlySet<string>).has(s);
}

/** Largest header line, LF included (bytes). */
export const MAX_HEADER_BYTES = 4096;
/** Largest frame body (bytes); the same figure as the envelope module's. */
export { MAX_BODY_BYTES };
/** Size of the big-endian body length that follows the header line (bytes). */
export const LENGTH_BYTES = 4;

/** The verbs as byte arrays, bucketed by length, for the decoder's allocation-free match. */
const BY_LENGTH: ReadonlyArray<ReadonlyArray<readonly [Verb, Uint8Array]>> = (() => {
  const buckets: Array<Array<readonly [Verb, Uint8Array]>> = [];
  for (const v of VERBS) {
    const bytes = Uint8Array.from(v, (ch) => ch.charCodeAt(0));
    (buckets[v.length] ??= []).push([v, bytes]);
  }
  return buckets;
})();

/**
 * The verb spelled by `buf[start, end)`, or undefined. Compares bytes, so no string is
 * built for the verb of every frame.
 */
export function verbAt(buf: Uint8Array, start: number, end: number): Verb | undefined {
  const bucket = BY_LENGTH[end - start];
  if (bucket === undefined) return undefined;
  outer: for (const [verb, bytes] of bucket) {
    for (let i = 0; i < bytes.length; i++) {
      if (buf[start + i] !== bytes[i]) continue outer;
    }
    return verb;
  }
  return undefined;
}
