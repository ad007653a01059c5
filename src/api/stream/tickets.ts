/**
 * Stream tickets (eventplane.md §1.3): an `EventSource` cannot send headers, so the
 * dashboard trades its Bearer token for a ticket and passes it as `?ticket=`. A ticket
 * is 32 random bytes, base64url (opaque, no `.`, so it is never mistaken for a JWT),
 * valid 60 s, bound to a user id and role, and single-use: redeeming removes it even
 * when it has expired. The map is in process and bounded: swept on every mint and
 * redeem, at most 20 per user (the 21st evicts that user's oldest) and `maxTotal` in
 * all. Several API processes would need a table instead; `decnet up` runs one.
 *
 * Tickets are secrets: never log them (the request log drops query strings).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../bus/index.js';
import type { Db } from '../../db/index.js';
import type { Role } from '../auth/tokens.js';
import { ApiError, unauthorized } from '../errors.js';

export const TICKET_TTL_SECS = 60;
export const TICKETS_PER_USER = 20;
export const TICKETS_TOTAL = 100_000;

export interface TicketClaims {
  readonly userId: string;
  readonly role: Role;
  /**
   * Epoch seconds the ticket counts as issued at: `max(floor(now), cutoff)`, like a
   * token's `iat`, so a ticket minted right after `logout-all` with a fresh token works
   * while any minted before it is refused.
   */
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** The user a redeemed ticket stands for (the fields the stream needs). */
export interface TicketUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
}

export class TicketStore {
  /** Insertion order is mint order, so the first entries are the oldest. */
  private readonly tickets = new Map<string, TicketClaims>();
  private readonly byUser = new Map<string, Set<string>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = TICKET_TTL_SECS * 1000,
    private readonly perUser = TICKETS_PER_USER,
    private readonly maxTotal = TICKETS_TOTAL,
  ) {}

  /** Live and not yet swept tickets. */
  get size(): number {
    return this.tickets.size;
  }

  /** Mints a ticket for a user whose token was just verified; `cutoff` is their `tokens_valid_from`. */
  mint(userId: string, role: Role, cutoff: number): { ticket: string; expiresIn: number } {
    this.sweep();
    const now = this.clock.now();
    const mine = this.byUser.get(userId) ?? new Set<string>();
    this.byUser.set(userId, mine);
    while (mine.size >= this.perUser) this.remove(mine.values().next().value as string);
    while (this.tickets.size >= this.maxTotal) this.remove(this.tickets.keys().next().value as string);
    const ticket = randomBytes(32).toString('base64url');
    this.tickets.set(ticket, { userId, role, issuedAt: Math.max(Math.floor(now / 1000), cutoff), expiresAt: now + this.ttlMs });
    mine.add(ticket);
    return { ticket, expiresIn: Math.round(this.ttlMs / 1000) };
  }

  /** Removes the ticket and returns its claims when it was live; undefined when unknown, used or expired. */
  take(ticket: string): TicketClaims | undefined {
    const claims = this.tickets.get(ticket);
    if (claims) this.remove(ticket);
    this.sweep();
    if (!claims || claims.expiresAt <= this.clock.now()) return undefined;
    return claims;
  }

  private remove(ticket: string): void {
    const claims = this.tickets.get(ticket);
    if (!claims) return;
    this.tickets.delete(ticket);
    const mine = this.byUser.get(claims.userId);
    mine?.delete(ticket);
    if (mine?.size === 0) this.byUser.delete(claims.userId);
  }

  /** Drops expired tickets from the front (all share one lifetime, so they expire in order). */
  private sweep(): void {
    const now = this.clock.now();
    for (const [ticket, claims] of this.tickets) {
      if (claims.expiresAt > now) break;
      this.remove(ticket);
    }
  }
}

/** Looks like a JWT (three dot-separated parts): a token passed where a ticket belongs. */
export function looksLikeJwt(value: string): boolean {
  return value.includes('.');
}

/**
 * Redeems `?ticket=` into a user (401 for unknown, used or expired tickets, a JWT, a
 * deleted user or a ticket older than the user's cutoff; 403 `password_change_required`
 * while a password change is owed, as for tokens).
 */
export async function redeemTicket(store: TicketStore, db: Db, ticket: string): Promise<TicketUser> {
  if (looksLikeJwt(ticket)) throw unauthorized('A token is not a stream ticket: mint one with POST /api/v1/auth/sse-ticket');
  const claims = store.take(ticket);
  if (!claims) throw unauthorized('Invalid or expired stream ticket');
  const user = await db.repos.users.findById(claims.userId);
  if (!user) throw unauthorized('Invalid stream ticket: user no longer exists');
  if (claims.issuedAt < user.tokensValidFrom) throw unauthorized('Invalid stream ticket: revoked');
  if (user.role !== claims.role) throw unauthorized('Invalid stream ticket: the role changed');
  if (user.mustChangePassword) throw new ApiError(403, 'password_change_required', 'Change your password first (POST /api/v1/auth/change-password)');
  return { id: user.id, username: user.username, role: user.role };
}
