/**
 * Subscription secrets at rest (eventplane.md §1.4, §4.1): sealed with AES-256-GCM under
 * the `webhook-secret` key, bound to their row and column (AAD
 * `webhook_subscriptions:<column>:<id>`), so a value copied elsewhere does not open.
 * A rotation re-seals the outgoing secret under the `previous_secret_enc` column's AAD
 * and keeps it signing for 24 h. Plaintext lives only in memory, never in a log line,
 * a response after create, or an error message.
 */
import { randomBytes } from 'node:crypto';
import { isoFromEpochMs } from '../bus/index.js';
import type { WebhookSubscription } from '../db/index.js';
import { aadFor, open, seal, SecretUnreadableError } from '../secrets/index.js';
import { ROTATION_OVERLAP_MS, type SigningSecrets } from './signing.js';

const TABLE = 'webhook_subscriptions';
export type SecretColumn = 'secret_enc' | 'previous_secret_enc';

/** Secret bounds, in UTF-8 bytes (CORRECTIONS #6.9). */
export const SECRET_MIN_BYTES = 16;
export const SECRET_MAX_BYTES = 256;

/** Why a chosen secret is refused, or undefined. */
export function secretProblem(secret: string): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < SECRET_MIN_BYTES || bytes > SECRET_MAX_BYTES) return `must be ${SECRET_MIN_BYTES}–${SECRET_MAX_BYTES} bytes of UTF-8, got ${bytes}`;
  return undefined;
}

/** 32 random bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sealSecret(key: Buffer, subscriptionId: string, column: SecretColumn, plaintext: string): string {
  return seal(key, plaintext, aadFor(TABLE, column, subscriptionId));
}

export function openSecret(key: Buffer, subscriptionId: string, column: SecretColumn, sealed: string): string {
  return open(key, sealed, aadFor(TABLE, column, subscriptionId));
}

export type OpenedSecrets = { readonly ok: true; readonly secrets: SigningSecrets } | { readonly ok: false; readonly reason: string };

/**
 * The signing secrets of a subscription. The current secret must open; a previous one
 * that does not is dropped (it only widens what receivers accept).
 */
export function openSubscriptionSecrets(key: Buffer, sub: WebhookSubscription): OpenedSecrets {
  let current: string;
  try {
    current = openSecret(key, sub.id, 'secret_enc', sub.secretEnc);
  } catch (err) {
    return { ok: false, reason: err instanceof SecretUnreadableError ? err.reason : 'unknown error' };
  }
  let previous: string | undefined;
  let previousExpiresAtMs: number | undefined;
  if (sub.previousSecretEnc !== null && sub.previousSecretExpiresAt !== null) {
    try {
      previous = openSecret(key, sub.id, 'previous_secret_enc', sub.previousSecretEnc);
      previousExpiresAtMs = Date.parse(sub.previousSecretExpiresAt);
    } catch {
      previous = undefined;
    }
  }
  return { ok: true, secrets: { current, previous, previousExpiresAtMs } };
}

export interface RotatedSecrets {
  readonly secretEnc: string;
  readonly previousSecretEnc: string | null;
  readonly previousSecretExpiresAt: string | null;
}

/** The columns after rotating to `next` at `nowMs`: the outgoing secret signs for 24 h more. */
export function rotateSecret(key: Buffer, sub: WebhookSubscription, next: string, nowMs: number): RotatedSecrets {
  let outgoing: string | undefined;
  try {
    outgoing = openSecret(key, sub.id, 'secret_enc', sub.secretEnc);
  } catch {
    outgoing = undefined; // unreadable: nothing to keep signing with
  }
  return {
    secretEnc: sealSecret(key, sub.id, 'secret_enc', next),
    previousSecretEnc: outgoing === undefined ? null : sealSecret(key, sub.id, 'previous_secret_enc', outgoing),
    previousSecretExpiresAt: outgoing === undefined ? null : isoFromEpochMs(nowMs + ROTATION_OVERLAP_MS),
  };
}
