/**
 * Secrets at rest (eventplane.md §1.4): the master key, purpose keys derived from it,
 * and `seal`/`open` for column values. Other folders import `src/secrets` only here.
 */
export { loadMasterKey, parseSecretKey, MASTER_KEY_BYTES, SECRET_KEY_VARIABLE, KEY_FILE_NAME, type LoadMasterKeyOptions } from './master-key.js';
export { deriveKey, KEY_PURPOSES, type KeyPurpose } from './keys.js';
export { seal, open, aadFor } from './seal.js';
export { MasterKeyError, SecretUnreadableError } from './errors.js';
