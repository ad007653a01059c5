/**
 * Typed errors of the bus. Each carries what a caller needs to fix the input:
 * the bad token of a topic, the state a frame decoder was in, the variable of a
 * configuration value.
 */

/** An invalid topic or pattern: names the offending token (or the whole subject). */
export class TopicError extends Error {
  override readonly name = 'TopicError';
  constructor(
    readonly subject: string,
    readonly reason: string,
    /** The offending token, when one token is to blame. */
    readonly token?: string,
  ) {
    super(token === undefined ? `invalid topic ${JSON.stringify(subject)}: ${reason}` : `invalid topic ${JSON.stringify(subject)}: token ${JSON.stringify(token)} ${reason}`);
  }
}

/** A caller bug in a payload: not an object, not JSON, too large, or a schema mismatch (strict mode). */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  constructor(
    readonly topic: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`payload for ${JSON.stringify(topic)}: ${message}`);
  }
}

/** The bus could not be reached within the caller's timeout (it keeps retrying). */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
}

/** A bad bus setting in the environment: names the variable and what is accepted. */
export class BusConfigError extends Error {
  override readonly name = 'BusConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** An operation on a closed bus or subscription that cannot be honoured. */
export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
}

/** Why a byte stream is not a valid frame sequence (spec/bus.md §3.2, §3.5). */
export type ProtocolErrorCode =
  | 'header_too_long' // no LF within the header limit
  | 'header_not_ascii'
  | 'header_empty'
  | 'unknown_verb' // not one of the protocol's verbs (verbs are upper-case, case-sensitive)
  | 'body_too_large' // declared length over the body limit
  | 'bad_body' // body is not a JSON object where one is required
  | 'unexpected_verb' // a verb the peer may not send (EVT from a client, PING before v2…)
  | 'truncated'; // EOF in the middle of a frame

/** A framing error: the connection that produced it is closed; nothing else is. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    /** The decoder state when it failed ('header' | 'length' | 'body' | …). */
    readonly state?: string,
  ) {
    super(`${code}: ${message}`);
  }
}
