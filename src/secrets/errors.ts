/** Typed errors of secrets at rest (eventplane.md §1.4). Messages never contain key material or plaintext. */

/** The master key could not be had: a bad `DECNET_SECRET_KEY`, or a key file that is unsafe or malformed. */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
  constructor(
    /** `DECNET_SECRET_KEY`, or the key file's path. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A sealed value that cannot be opened: unknown format, wrong key, wrong row (AAD), or
 * tampered with. Reported as `secret_unreadable`, never guessed around.
 */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
  readonly code = 'secret_unreadable';
  constructor(readonly reason: string) {
    super(`secret unreadable: ${reason}`);
  }
}
