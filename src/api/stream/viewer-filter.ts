/**
 * What viewers may not see (eventplane.md §3.1): `system.*.control` names admins and
 * `smtp.>` carries mail addresses, so viewers never receive them, even under `>`.
 * A viewer pattern that the forbidden topics cover (every topic it can match is
 * forbidden) is refused with 403; one that merely overlaps them is accepted and the
 * forbidden events are dropped from that stream (CORRECTIONS #5.16). Admins see all.
 * Exposing a new family to viewers needs a security review.
 */
import { covers, matches } from '../../bus/index.js';
import type { Role } from '../auth/tokens.js';

export const VIEWER_FORBIDDEN: readonly string[] = Object.freeze(['system.*.control', 'smtp.>']);

/**
 * The forbidden pattern that covers `pattern`, or undefined. Checking each forbidden
 * pattern alone is exact for this set: its members start with different literal
 * tokens, so a pattern covered by their union is covered by one of them.
 */
export function forbiddenCover(pattern: string): string | undefined {
  return VIEWER_FORBIDDEN.find((f) => covers(f, pattern));
}

/** May a user of `role` receive an event on `topic`? */
export function mayReceive(role: Role, topic: string): boolean {
  return role === 'admin' || !VIEWER_FORBIDDEN.some((f) => matches(f, topic));
}
