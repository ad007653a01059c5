/**
 * Flow control across processes: subscribers tell main the highest sequence they have
 * seen from each publisher; main forwards to each publisher the minimum over all
 * subscribers (the slowest one sets the pace). See publisher.ts for why.
 */
import type { Worker } from './pool.js';

export class CreditRelay {
  private readonly seen: number[][];
  private readonly sent: number[];
  private readonly offs: Array<() => void>;

  constructor(
    subs: readonly Worker[],
    private readonly pubs: readonly Worker[],
    private readonly phase: number,
  ) {
    this.seen = subs.map(() => new Array<number>(pubs.length).fill(0));
    this.sent = new Array<number>(pubs.length).fill(0);
    this.offs = subs.map((w, j) =>
      w.onNotice((n) => {
        if (n.kind === 'progress' && n.phase === this.phase) this.update(j, n.seen);
      }),
    );
  }

  dispose(): void {
    for (const off of this.offs) off();
  }

  private update(sub: number, seen: number[]): void {
    const row = this.seen[sub]!;
    for (let p = 0; p < this.pubs.length; p++) {
      row[p] = Math.max(row[p]!, seen[p] ?? 0);
      let min = Number.MAX_SAFE_INTEGER;
      for (const r of this.seen) min = Math.min(min, r[p]!);
      if (min > this.sent[p]!) {
        this.sent[p] = min;
        this.pubs[p]!.notify({ kind: 'credit', phase: this.phase, seen: min });
      }
    }
  }
}
