/**
 * Typed errors of the database layer. Each carries what a caller needs: the variable
 * of a bad setting, the entity and field of a conflict, the lock order that was broken.
 */

/** A bad `DECNET_DATABASE_URL` (or other database setting): names the variable and what is accepted. */
export class DatabaseConfigError extends Error {
  override readonly name = 'DatabaseConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** A unique key already taken (e.g. a duplicate username). The API answers 409 `conflict`. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly code = 'conflict';
  constructor(
    readonly entity: string,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Advisory locks requested out of the canonical order (`logs` first, other tables by
 * name, `events` last; CORRECTIONS "Across issues" 7). A programming error: two writers
 * taking locks in different orders can deadlock, so the order is enforced on every
 * dialect (SQLite too, where the locks are no-ops), and tests catch it early.
 */
export class LockOrderError extends Error {
  override readonly name = 'LockOrderError';
  constructor(
    readonly requested: string,
    readonly held: readonly string[],
  ) {
    super(`advisory lock ${JSON.stringify(requested)} requested after ${JSON.stringify(held)}: locks must be taken logs first, other tables by name, events last (pass them all in write(fn, {locks}))`);
  }
}

/**
 * SQLite: a query waited longer than the wait budget (5 s) for the process's one
 * connection. When a write transaction held it all along, the usual cause is `db.kysely`
 * or `db.write` awaited inside `db.write`, which would otherwise wait forever: use
 * `tx.db` and pass the `WriteTx` on.
 */
export class ConnectionWaitError extends Error {
  override readonly name = 'ConnectionWaitError';
}
