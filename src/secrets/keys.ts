/**
 * Purpose keys (eventplane.md §1.4): HKDF-SHA256 over the master key with an empty
 * salt and one `info` per purpose, `decnet/<purpose>/v1`, so a key leaked for one use
 * (say, the JWT key) says nothing about the others.
 */
import { hkdfSync } from 'node:crypto';
import { MASTER_KEY_BYTES } from './master-key.js';

export type KeyPurpose = 'jwt' | 'webhook-secret' | 'canary-fingerprint';

export const KEY_PURPOSES: readonly KeyPurpose[] = Object.freeze(['jwt', 'webhook-secret', 'canary-fingerprint']);

/** The 32-byte key for `purpose`. */
export function deriveKey(master: Buffer, purpose: KeyPurpose): Buffer {
  if (master.length !== MASTER_KEY_BYTES) throw new RangeError(`master key must be ${MASTER_KEY_BYTES} bytes, got ${master.length}`);
  if (!KEY_PURPOSES.includes(purpose)) throw new RangeError(`unknown key purpose ${JSON.stringify(purpose)}`);
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `decnet/${purpose}/v1`, 32));
}
