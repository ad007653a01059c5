/**
 * Revoked tokens (eventplane.md §1.2): a logged-out token's `jti`, kept until its `exp`.
 * `prune` keeps a grace period past `exp` because verification tolerates 30 s of clock
 * skew on `exp`: dropping the row at `exp` would let the revoked token back in for that
 * long.
 */
import type { WriteTx } from '../unit-of-work.js';
import { affected, inWrite, reader, type RepoContext } from './context.js';

/** Seconds past `exp` a revocation is kept (≥ the verifier's 30 s `exp` tolerance). */
export const REVOCATION_GRACE_SECS = 60;

export interface RevokedTokensRepo {
  /** Idempotent; a second call keeps the later expiry. */
  revoke(jti: string, expiresAtEpochS: number, tx?: WriteTx): Promise<void>;
  isRevoked(jti: string, tx?: WriteTx): Promise<boolean>;
  /** Deletes revocations whose token expired more than `graceSeconds` ago; returns how many. */
  prune(opts?: { graceSeconds?: number }, tx?: WriteTx): Promise<number>;
}

export function createRevokedTokensRepo(ctx: RepoContext): RevokedTokensRepo {
  return {
    revoke: (jti, expiresAtEpochS, tx) => {
      const expires = Math.ceil(expiresAtEpochS);
      if (!Number.isSafeInteger(expires) || expires < 0) throw new RangeError(`expiresAtEpochS must be epoch seconds, got ${expiresAtEpochS}`);
      // the two-argument scalar max of SQLite is PostgreSQL's greatest
      return inWrite(ctx, tx, async (t) => {
        await t.db
          .insertInto('revoked_tokens')
          .values({ jti, expires_at: expires })
          .onConflict((oc) => oc.column('jti').doUpdateSet((eb) => ({ expires_at: eb.fn<number>(ctx.dialect === 'postgres' ? 'greatest' : 'max', [eb.ref('revoked_tokens.expires_at'), eb.ref('excluded.expires_at')]) })))
          .execute();
      });
    },

    async isRevoked(jti, tx) {
      const row = await reader(ctx, tx).selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst();
      return row !== undefined;
    },

    prune: (opts = {}, tx) =>
      inWrite(ctx, tx, async (t) => {
        const cutoff = Math.floor(ctx.clock.now() / 1000) - (opts.graceSeconds ?? REVOCATION_GRACE_SECS);
        const result = await t.db.deleteFrom('revoked_tokens').where('expires_at', '<', cutoff).executeTakeFirst();
        return affected(result);
      }),
  };
}
