/**
 * Who is calling (eventplane.md §1.2): a Bearer JWT, verified, then the user
 * must exist, the token must postdate the user's cutoff and not be revoked.
 * 401 for every token problem (with WWW-Authenticate), 403 for the wrong role,
 * 403 `password_change_required` while a password change is owed.
 */
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.js';
import { ApiError, forbidden, unauthorized } from '../errors.js';
import type { Access } from '../route.js';
import { TokenError, type Role, type TokenSigner } from './tokens.js';

export interface AuthUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly mustChangePassword: boolean;
  readonly jti: string;
  /** Token expiry, epoch seconds. */
  readonly exp: number;
}

export class Authenticator {
  constructor(
    private readonly db: Db,
    private readonly tokens: TokenSigner,
  ) {}

  /** The Bearer token of a request, or undefined. */
  static bearer(req: FastifyRequest): string | undefined {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1] : undefined;
  }

  async authenticate(req: FastifyRequest): Promise<AuthUser> {
    const token = Authenticator.bearer(req);
    if (!token) throw unauthorized(req.headers.authorization === undefined ? 'Not authenticated' : 'Malformed Authorization header');
    return this.verify(token);
  }

  async verify(token: string): Promise<AuthUser> {
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch (err) {
      throw unauthorized(err instanceof TokenError ? `Invalid token: ${err.message}` : 'Invalid token');
    }
    const user = await this.db.repos.users.findById(claims.sub);
    if (!user) throw unauthorized('Invalid token: user no longer exists');
    if (claims.iat < user.tokensValidFrom) throw unauthorized('Invalid token: revoked');
    if (await this.db.repos.revokedTokens.isRevoked(claims.jti)) throw unauthorized('Invalid token: revoked');
    return { id: user.id, username: user.username, role: user.role, mustChangePassword: user.mustChangePassword, jti: claims.jti, exp: claims.exp };
  }

  authorize(user: AuthUser, access: Access, duringPasswordChange: boolean): void {
    if (access === 'admin' && user.role !== 'admin') throw forbidden();
    if (user.mustChangePassword && !duringPasswordChange) {
      throw new ApiError(403, 'password_change_required', 'Change your password first (POST /api/v1/auth/change-password)');
    }
  }
}
