/**
 * The event envelope (spec/bus.md §1):
 *   { v: 1, id: <32 hex>, topic, type, ts: <epoch seconds, float>, payload: {…} }
 * Key order on the wire is v, id, topic, type, ts, payload.
 */
import { randomFillSync } from 'node:crypto';
import { PayloadError } from './errors.js';

export type JsonObject = Record<string, unknown>;

export interface Envelope<P extends object = JsonObject> {
  readonly v: 1;
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  /** Epoch seconds with sub-millisecond precision. */
  readonly ts: number;
  readonly payload: P;
}

/** Largest frame body the broker accepts (bytes). */
export const MAX_BODY_BYTES = 1_048_576;
/**
 * Largest envelope a client may publish (bytes): leaves 1 KiB for the broker's
 * re-mint and for NATS headers, so an event accepted here fits every transport.
 */
export const MAX_ENVELOPE_BYTES = MAX_BODY_BYTES - 1024;

/** Random bytes drawn 256 ids at a time (one fill, then slices), for newEventId. */
const idPool = Buffer.alloc(16 * 256);
let idPoolAt = idPool.length;

/**
 * A fresh envelope id: a random UUIDv4 (RFC 9562: version nibble 4, variant 10) as 32
 * lowercase hex digits, hex-encoded straight from random bytes (every publish and every
 * journaled event mints one; randomUUID's dashed text would have to be rewritten).
 */
export function newEventId(): string {
  if (idPoolAt === idPool.length) {
    randomFillSync(idPool);
    idPoolAt = 0;
  }
  const at = idPoolAt;
  idPoolAt += 16;
  idPool[at + 6] = ((idPool[at + 6] as number) & 0x0f) | 0x40;
  idPool[at + 8] = ((idPool[at + 8] as number) & 0x3f) | 0x80;
  return idPool.toString('hex', at, at + 16);
}

const ID_RE = /^[0-9a-f]{32}$/;
export function isEventId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id);
}

/** Serialises an envelope in wire key order. `payloadJson` lets callers reuse bytes. */
export function serializeEnvelope(env: Envelope, payloadJson = JSON.stringify(env.payload)): string {
  return `{"v":1,"id":${JSON.stringify(env.id)},"topic":${JSON.stringify(env.topic)},"type":${JSON.stringify(env.type)},"ts":${env.ts},"payload":${payloadJson}}`;
}

/**
 * Serialises a payload for the wire, refusing what JSON cannot carry faithfully
 * (bus.md §1): non-objects, BigInt, cycles. Returns the JSON text.
 */
export function serializePayload(topic: string, payload: unknown): string {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new PayloadError(topic, `must be a JSON object, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (err) {
    throw new PayloadError(topic, `is not serialisable as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (json === undefined) throw new PayloadError(topic, 'is not serialisable as JSON');
  return json;
}

/** Throws a PayloadError when the serialised envelope is over the publish limit. */
export function checkEnvelopeSize(topic: string, envelopeJson: string): void {
  // fast path: UTF-16 length bounds UTF-8 bytes from below, ×3 from above
  if (envelopeJson.length * 3 <= MAX_ENVELOPE_BYTES) return;
  const bytes = Buffer.byteLength(envelopeJson, 'utf8');
  if (bytes > MAX_ENVELOPE_BYTES) {
    throw new PayloadError(topic, `envelope is ${bytes} bytes; the limit is ${MAX_ENVELOPE_BYTES} bytes`);
  }
}

/** Epoch seconds (float) from epoch milliseconds. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}
