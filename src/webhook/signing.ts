/**
 * Signing a delivery (eventplane.md §4.4). Two schemes, both HMAC-SHA256 keyed with the
 * UTF-8 bytes of the subscription's secret:
 *
 * - Standard Webhooks: `webhook-id` (the event id), `webhook-timestamp` (integer Unix
 *   seconds of this attempt) and `webhook-signature: v1,<base64 HMAC("<id>.<ts>.<body>")>`.
 *   Receivers using a Standard Webhooks library pass it `whsec_` + base64(secret bytes).
 * - DECNET's own: `X-DECNET-Signature: sha256=<lower hex HMAC(body)>` with
 *   `X-DECNET-Event-Id`, `X-DECNET-Event-Topic` and `X-DECNET-Timestamp`.
 *
 * Signatures and timestamp are computed per attempt, so a retry hours later still passes
 * a receiver's 5-minute tolerance. During a rotation's 24 h overlap both secrets sign:
 * `v1,<new> v1,<old>` and `sha256=<new>, sha256=<old>`; receivers accept any match.
 */
import { createHmac } from 'node:crypto';

export const USER_AGENT = 'decnet-webhook/1.0';
/** How long the previous secret keeps signing after a rotation (ms). */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** A subscription's secrets as the signer needs them (plaintext; never logged). */
export interface SigningSecrets {
  readonly current: string;
  readonly previous?: string | undefined;
  /** Epoch ms the previous secret stops signing. */
  readonly previousExpiresAtMs?: number | undefined;
}

/** The secrets that sign at `nowMs`: the current one, then the previous one inside its overlap. */
export function activeSecrets(secrets: SigningSecrets, nowMs: number): string[] {
  const out = [secrets.current];
  if (secrets.previous !== undefined && secrets.previousExpiresAtMs !== undefined && nowMs < secrets.previousExpiresAtMs) out.push(secrets.previous);
  return out;
}

/** `v1,<base64>` entries, space separated, one per secret. */
export function standardSignature(secrets: readonly string[], eventId: string, timestamp: number, body: Buffer): string {
  const prefix = Buffer.from(`${eventId}.${timestamp}.`, 'utf8');
  return secrets.map((s) => `v1,${createHmac('sha256', Buffer.from(s, 'utf8')).update(prefix).update(body).digest('base64')}`).join(' ');
}

/** `sha256=<hex>` entries, comma-space separated, one per secret. */
export function decnetSignature(secrets: readonly string[], body: Buffer): string {
  return secrets.map((s) => `sha256=${createHmac('sha256', Buffer.from(s, 'utf8')).update(body).digest('hex')}`).join(', ');
}

export interface SignRequest {
  readonly eventId: string;
  readonly topic: string;
  /** The exact body bytes. */
  readonly body: Buffer;
  readonly secrets: SigningSecrets;
  /** The attempt's time, epoch ms (the header carries whole seconds). */
  readonly nowMs: number;
}

/** Every header of one attempt (Host comes from the URL, set by the HTTP client). */
export function deliveryHeaders(req: SignRequest): Record<string, string> {
  const timestamp = Math.floor(req.nowMs / 1000);
  const secrets = activeSecrets(req.secrets, req.nowMs);
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': req.eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardSignature(secrets, req.eventId, timestamp, req.body),
    'X-DECNET-Signature': decnetSignature(secrets, req.body),
    'X-DECNET-Event-Id': req.eventId,
    'X-DECNET-Event-Topic': req.topic,
    'X-DECNET-Timestamp': String(timestamp),
  };
}

/** The `whsec_…` form of a secret that Standard Webhooks libraries take. */
export function standardWebhooksSecret(secret: string): string {
  return `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;
}
