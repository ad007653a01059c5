/**
 * Turning a publish call into a wire-ready event: the checks every transport
 * runs identically (spec/bus.md §4.1, CORRECTIONS #2.2, #2.6), so `memory` and
 * `null` refuse exactly what `unix` and `nats` refuse. A producer that needs the
 * event's text before it is sent (the journal stores it) prepares it here once and
 * hands the result to `Bus.publishPrepared`, which neither checks nor serialises again.
 */
import { PayloadError } from './errors.js';
import { checkEnvelopeSize, isEventId, newEventId, serializeEnvelope, serializePayload } from './envelope.js';
import { validateTopic } from './grammar.js';
import { findTopicEntry, validatePayload } from './topics/index.js';
import type { PublishOptions } from './types.js';

export interface PreparedEvent {
  readonly topic: string;
  readonly type: string;
  readonly id: string;
  /** Epoch seconds. */
  readonly ts: number;
  readonly payloadJson: string;
  /** The whole envelope in wire key order. */
  readonly envelopeJson: string;
}

export interface PrepareContext {
  /** Epoch milliseconds. */
  now(): number;
  /** Throw on a payload that fails its catalogue schema (DECNET_BUS_STRICT=1). */
  strict: boolean;
  /** Called (non-strict mode) when a payload fails its schema; the event still goes out. */
  onInvalid(topic: string, issues: string[]): void;
}

/** Validates and serialises one publish; throws TopicError or PayloadError for caller bugs. */
export function prepareEvent(topic: string, payload: unknown, opts: PublishOptions | undefined, ctx: PrepareContext): PreparedEvent {
  validateTopic(topic);
  const payloadJson = serializePayload(topic, payload);
  const entry = findTopicEntry(topic);
  let type = opts?.type;
  if (type !== undefined && typeof type !== 'string') throw new PayloadError(topic, `type must be a string, got ${typeof type}`);
  if (entry) {
    if (type === undefined) type = entry.type;
    else if (ctx.strict && type !== entry.type) {
      throw new PayloadError(topic, `type ${JSON.stringify(type)} differs from the catalogue's ${JSON.stringify(entry.type)}`);
    }
    const verdict = validatePayload(topic, payload);
    if (!verdict.ok) {
      if (ctx.strict) throw new PayloadError(topic, `does not match the ${entry.template} schema: ${verdict.issues.join('; ')}`, verdict.issues);
      ctx.onInvalid(topic, verdict.issues);
    }
  }
  const id = opts?.id ?? newEventId();
  // only a caller's id can be malformed
  if (opts?.id !== undefined && !isEventId(id)) throw new PayloadError(topic, `id must be 32 lowercase hex digits, got ${JSON.stringify(id)}`);
  const ts = opts?.ts ?? ctx.now() / 1000;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) throw new PayloadError(topic, `ts must be epoch seconds, got ${String(ts)}`);
  const resolvedType = type ?? '';
  const envelopeJson = serializeEnvelope({ v: 1, id, topic, type: resolvedType, ts, payload: {} }, payloadJson);
  checkEnvelopeSize(topic, envelopeJson);
  return { topic, type: resolvedType, id, ts, payloadJson, envelopeJson };
}

/**
 * `event` carrying another text of the same payload (the journal's, whose NUL characters
 * are U+FFFD), so the live copy is what was stored; the envelope is rebuilt around it.
 */
export function withPayloadText(event: PreparedEvent, payloadJson: string): PreparedEvent {
  if (payloadJson === event.payloadJson) return event;
  const envelopeJson = serializeEnvelope({ v: 1, id: event.id, topic: event.topic, type: event.type, ts: event.ts, payload: {} }, payloadJson);
  checkEnvelopeSize(event.topic, envelopeJson);
  return { ...event, payloadJson, envelopeJson };
}
