/**
 * One delivery attempt (eventplane.md §4.5): the SSRF guard on the URL (every attempt,
 * so a name that now resolves somewhere refused is caught), signing for this attempt's
 * time, one POST through the pinned agent bounded by the whole-exchange timeout, and
 * the outcome's classification:
 *
 * - 2xx → `ok`;
 * - 429, 5xx, network errors, timeouts, DNS failures → `retry` (a `Retry-After` on 429
 *   and 503 is passed on);
 * - 3xx (redirects are never followed), other 4xx, a URL the guard refuses → `fatal`.
 *
 * `last_error` text is `http <status>` or `<Error>: <message>`, cut to 512 characters;
 * it never carries a secret (the signer's inputs never reach an error message).
 */
import { newEventId, type Clock } from '../bus/index.js';
import { webhookBody } from './body.js';
import type { PinnedAgent } from './pinned-agent.js';
import { parseRetryAfter } from './schedule.js';
import { deliveryHeaders, type SigningSecrets } from './signing.js';
import { UrlRefusedError, type WebhookUrlGuard } from './ssrf-guard.js';

/** Longest `last_error` kept (characters). */
export const MAX_ERROR_CHARS = 512;
/** The response body is read up to this, then dropped (bytes). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export type AttemptOutcome =
  | { readonly kind: 'ok'; readonly status: number }
  | { readonly kind: 'retry'; readonly status: number | null; readonly error: string; readonly retryAfterMs?: number }
  | { readonly kind: 'fatal'; readonly status: number | null; readonly error: string };

export interface AttemptInput {
  readonly url: string;
  readonly secrets: SigningSecrets;
  readonly eventId: string;
  readonly topic: string;
  /** The stored body bytes. */
  readonly body: Buffer;
}

export interface AttemptContext {
  readonly guard: WebhookUrlGuard;
  readonly agent: PinnedAgent;
  readonly clock: Clock;
  /** `DECNET_WEBHOOK_TIMEOUT_SECS` (10) as ms, for the whole exchange, on the clock. */
  readonly timeoutMs: number;
}

class AttemptTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** `<Error>: <message>`, bounded. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/** Classifies an HTTP status (and its Retry-After). */
export function classifyStatus(status: number, retryAfter: string | string[] | undefined, nowMs: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok', status };
  const error = `http ${status}`;
  if (status === 429 || (status >= 500 && status < 600)) {
    const wait = status === 429 || status === 503 ? parseRetryAfter(retryAfter, nowMs) : undefined;
    return { kind: 'retry', status, error, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
  }
  return { kind: 'fatal', status, error };
}

/** Makes one attempt; never throws (every failure is an outcome). */
export async function attemptDelivery(input: AttemptInput, ctx: AttemptContext): Promise<AttemptOutcome> {
  let target;
  try {
    target = await ctx.guard.checkUrl(input.url);
  } catch (err) {
    if (err instanceof UrlRefusedError && err.reason !== 'dns') return { kind: 'fatal', status: null, error: describeError(err) };
    return { kind: 'retry', status: null, error: describeError(err) };
  }
  const headers = deliveryHeaders({ eventId: input.eventId, topic: input.topic, body: input.body, secrets: input.secrets, nowMs: ctx.clock.now() });
  const abort = new AbortController();
  const timer = ctx.clock.setTimeout(() => abort.abort(new AttemptTimeoutError(`no response within ${ctx.timeoutMs / 1000} s`)), ctx.timeoutMs);
  try {
    const res = await ctx.agent.post({ target, headers, body: input.body, signal: abort.signal, backstopMs: ctx.timeoutMs + 1000, maxResponseBytes: MAX_RESPONSE_BYTES });
    return classifyStatus(res.status, res.headers['retry-after'], ctx.clock.now());
  } catch (err) {
    // a connect error (every validated address tried), a reset, or our timeout
    return { kind: 'retry', status: null, error: describeError(abort.signal.aborted ? abort.signal.reason : err) };
  } finally {
    ctx.clock.clearTimeout(timer);
  }
}

/** The answer of `POST /webhooks/{id}/test`. */
export interface PingResult {
  readonly delivered: boolean;
  readonly status_code?: number;
  readonly error?: string;
}

/**
 * The API's test ping (eventplane.md §4.2): one synthetic `test.ping` event, one
 * attempt, no retry, the same guard and signing; no row, no counter.
 */
export async function deliverTestPing(target: { url: string; secrets: SigningSecrets }, triggeredBy: string, ctx: AttemptContext): Promise<PingResult> {
  const eventId = newEventId();
  const body = webhookBody({ id: eventId, topic: 'test.ping', type: 'test', ts: ctx.clock.now() / 1000, payload: { message: 'Synthetic test event from DECNET', triggered_by: triggeredBy } });
  const outcome = await attemptDelivery({ url: target.url, secrets: target.secrets, eventId, topic: 'test.ping', body: Buffer.from(body, 'utf8') }, ctx);
  if (outcome.kind === 'ok') return { delivered: true, status_code: outcome.status };
  return { delivered: false, ...(outcome.status === null ? {} : { status_code: outcome.status }), error: outcome.error };
}
