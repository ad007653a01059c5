/**
 * Sealing secrets at rest (eventplane.md §1.4): AES-256-GCM with a random 96-bit nonce
 * and a 128-bit tag, stored as `v1.` + base64url(nonce ‖ ciphertext ‖ tag). The
 * additional data binds a value to its place, `<table>:<column>:<row id>`, so a sealed
 * value copied to another row or column does not open. `open` never guesses: any
 * failure is a SecretUnreadableError (`secret_unreadable`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretUnreadableError } from './errors.js';

const PREFIX = 'v1.';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The additional data of a sealed column value. */
export function aadFor(table: string, column: string, rowId: string): string {
  if (table.includes(':') || column.includes(':')) throw new RangeError(`table and column names may not contain ':' (${table}, ${column})`);
  return `${table}:${column}:${rowId}`;
}

/** Encrypts `plaintext` (UTF-8) under `key` bound to `aad`. */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  if (key.length !== KEY_BYTES) throw new RangeError(`key must be ${KEY_BYTES} bytes, got ${key.length}`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
}

/** Decrypts a sealed value; throws SecretUnreadableError on any failure. */
export function open(key: Buffer, sealed: string, aad: string): string {
  if (key.length !== KEY_BYTES) throw new SecretUnreadableError('wrong key length');
  if (typeof sealed !== 'string' || !sealed.startsWith(PREFIX)) throw new SecretUnreadableError('unknown format (expected v1.)');
  const text = sealed.slice(PREFIX.length);
  if (!B64URL_RE.test(text)) throw new SecretUnreadableError('not base64url');
  const raw = Buffer.from(text, 'base64url');
  if (raw.length < NONCE_BYTES + TAG_BYTES) throw new SecretUnreadableError('too short');
  const nonce = raw.subarray(0, NONCE_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SecretUnreadableError('authentication failed (wrong key, wrong row or tampered)');
  }
  try {
    return utf8.decode(plain);
  } catch {
    throw new SecretUnreadableError('not UTF-8');
  }
}
