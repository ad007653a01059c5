/**
 * Stream slots (eventplane.md §1.3): at most `perUser` open streams per user
 * (`DECNET_SSE_MAX_PER_USER`, 5) and `total` in all (`DECNET_SSE_MAX_TOTAL`, 1000).
 * A route takes a slot after auth and request checks and before any response byte;
 * the slot is released exactly once, however the stream ends (`release` is idempotent).
 */
import { ApiError } from '../errors.js';

export interface Slot {
  readonly userId: string;
  /** Frees the slot; later calls do nothing. */
  release(): void;
}

export class StreamSlots {
  private readonly perUserOpen = new Map<string, number>();
  private open = 0;

  constructor(
    readonly perUser: number,
    readonly total: number,
  ) {
    if (!Number.isInteger(perUser) || perUser < 1 || !Number.isInteger(total) || total < 1) throw new RangeError('stream caps must be whole numbers ≥ 1');
  }

  /** Open streams in all. */
  get size(): number {
    return this.open;
  }

  /** Open streams of one user. */
  countFor(userId: string): number {
    return this.perUserOpen.get(userId) ?? 0;
  }

  /** Takes a slot or throws the 429 `too_many_streams` (a JSON error, CORRECTIONS #5.14). */
  acquire(userId: string): Slot {
    const mine = this.countFor(userId);
    if (mine >= this.perUser) throw new ApiError(429, 'too_many_streams', `SSE connection limit (${this.perUser}) reached`);
    if (this.open >= this.total) throw new ApiError(429, 'too_many_streams', `SSE connection limit (${this.total} in all) reached`);
    this.perUserOpen.set(userId, mine + 1);
    this.open++;
    let held = true;
    return {
      userId,
      release: () => {
        if (!held) return;
        held = false;
        this.open--;
        const left = this.countFor(userId) - 1;
        if (left > 0) this.perUserOpen.set(userId, left);
        else this.perUserOpen.delete(userId);
      },
    };
  }
}
