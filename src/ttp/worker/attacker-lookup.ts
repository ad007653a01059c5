/**
 * Attacker ids by address for inputs that carry none (ttp.md §1.6): a found attacker is
 * cached 5 minutes, a miss 30 seconds, so a burst from one new address asks once and
 * an attacker correlate creates a moment later is picked up soon after. Tags written
 * before that keep `attacker_uuid` null and are linked by `attacker.observed` or the sweep.
 */
import type { Clock } from '../../bus/index.js';

const FOUND_MS = 5 * 60_000;
const MISSED_MS = 30_000;
const MAX_ENTRIES = 50_000;

export type FindAttackerId = (ip: string) => Promise<string | undefined>;

export class AttackerLookup {
  private readonly cache = new Map<string, { id: string | null; until: number }>();

  constructor(
    private readonly find: FindAttackerId,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  async idOf(ip: string): Promise<string | null> {
    const now = this.clock.now();
    const hit = this.cache.get(ip);
    if (hit && hit.until > now) return hit.id;
    const id = (await this.find(ip)) ?? null;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(ip, { id, until: now + (id === null ? MISSED_MS : FOUND_MS) });
    return id;
  }

  /** `attacker.observed` told us the id: remember it at once. */
  learn(ip: string, id: string): void {
    this.cache.set(ip, { id, until: this.clock.now() + FOUND_MS });
  }
}
