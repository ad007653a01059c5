/**
 * Access tokens (eventplane.md §1.2): HS256 JWTs via jose with iss `decnet`,
 * aud `decnet-api`, sub (user id), role, jti (32 hex), iat, exp. Verification
 * pins HS256, checks iss/aud/exp with 30 s tolerance and requires sub and jti;
 * the caller then checks the user, the cutoff and revocation.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

export type Role = 'admin' | 'viewer';

export interface TokenClaims {
  readonly sub: string;
  readonly role: Role;
  readonly jti: string;
  /** Epoch seconds. */
  readonly iat: number;
  readonly exp: number;
}

const ISSUER = 'decnet';
const AUDIENCE = 'decnet-api';

export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export class TokenSigner {
  /** Imported once: jose would import raw bytes again on every sign and verify. */
  private readonly key: KeyObject;

  constructor(
    /** 32 bytes derived from the master key (purpose `jwt`). */
    rawKey: Uint8Array,
    /** Lifetime, seconds. */
    readonly ttlSecs: number,
    private readonly nowSecs: () => number,
  ) {
    if (rawKey.length !== 32) throw new RangeError('the JWT key must be 32 bytes');
    this.key = createSecretKey(rawKey);
  }

  /** Issues a token; `notBefore` is the user's cutoff (the token's iat is never below it). */
  async issue(userId: string, role: Role, notBefore: number): Promise<{ token: string; claims: TokenClaims }> {
    const iat = Math.max(Math.floor(this.nowSecs()), notBefore);
    const claims: TokenClaims = { sub: userId, role, jti: randomBytes(16).toString('hex'), iat, exp: iat + this.ttlSecs };
    const token = await new SignJWT({ role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.sub)
      .setJti(claims.jti)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(this.key);
    return { token, claims };
  }

  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTolerance: 30,
        currentDate: new Date(this.nowSecs() * 1000),
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      });
      const role = payload.role;
      if (role !== 'admin' && role !== 'viewer') throw new TokenError('token has no valid role');
      return { sub: payload.sub as string, role, jti: payload.jti as string, iat: payload.iat as number, exp: payload.exp as number };
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new TokenError('token expired');
      throw new TokenError('invalid token');
    }
  }
}
