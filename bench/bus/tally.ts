/**
 * What a subscriber counts, per phase: events per publisher (for loss), the highest
 * sequence seen per publisher (the flow-control credit, which a lost event does not
 * hold back), first and last arrival (for the delivered rate), and a uniform sample of
 * end-to-end latencies (reservoir sampling, so memory stays bounded at any rate).
 */
import { readPayload } from './payload.js';

export interface PhaseSummary {
  readonly phase: number;
  /** Events received in the phase. */
  readonly count: number;
  /** Events received from each publisher. */
  readonly byPublisher: number[];
  /** Arrival of the first and last event (epoch ms); 0 when none came. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** A uniform sample of latencies (ms). */
  readonly samples: Float64Array;
  /** Bodies that were not bench payloads. */
  readonly malformed: number;
}

class PhaseTally {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  readonly byPublisher: number[];
  readonly maxSeq: number[];
  readonly reservoir: Float64Array;
  filled = 0;
  sinceReport = 0;

  constructor(
    readonly phase: number,
    publishers: number,
    cap: number,
  ) {
    this.byPublisher = new Array<number>(publishers).fill(0);
    this.maxSeq = new Array<number>(publishers).fill(0);
    this.reservoir = new Float64Array(cap);
  }

  sample(latency: number): void {
    const cap = this.reservoir.length;
    if (this.filled < cap) {
      this.reservoir[this.filled++] = latency;
      return;
    }
    const j = Math.floor(Math.random() * this.count); // count already includes this event
    if (j < cap) this.reservoir[j] = latency;
  }
}

export interface TallyOptions {
  /** Publishers in the scenario (payload `p` is 0..publishers-1). */
  readonly publishers: number;
  /** Latency samples kept per phase. */
  readonly reservoir: number;
  /** Report progress after this many events of a phase (and on `flush`). */
  readonly reportEvery: number;
  /** Progress: the highest sequence number + 1 seen from each publisher. */
  readonly onProgress?: (phase: number, seen: number[]) => void;
}

export class Tally {
  private readonly phases = new Map<number, PhaseTally>();
  private current: PhaseTally | undefined;
  private dirty = false;
  malformed = 0;

  constructor(private readonly opts: TallyOptions) {}

  /** One received payload (already parsed), at local time `now` (epoch ms). */
  record(payload: unknown, now: number): void {
    const ev = readPayload(payload);
    if (ev === undefined || ev.p < 0 || ev.p >= this.opts.publishers) {
      this.malformed++;
      return;
    }
    let ph = this.current;
    if (ph === undefined || ph.phase !== ev.ph) ph = this.phaseOf(ev.ph);
    ph.count++;
    if (ph.firstAt === 0) ph.firstAt = now;
    ph.lastAt = now;
    ph.byPublisher[ev.p]!++;
    if (ev.s + 1 > ph.maxSeq[ev.p]!) ph.maxSeq[ev.p] = ev.s + 1;
    ph.sample(now - ev.t);
    this.dirty = true;
    if (++ph.sinceReport >= this.opts.reportEvery) this.report(ph);
  }

  /** Reports progress if anything arrived since the last report (a timer calls it). */
  flush(): void {
    if (this.dirty && this.current) this.report(this.current);
  }

  /** The highest sequence + 1 seen from each publisher in `phase`. */
  seen(phase: number): readonly number[] {
    return this.phases.get(phase)?.maxSeq ?? [];
  }

  count(phase: number): number {
    return this.phases.get(phase)?.count ?? 0;
  }

  summary(phase: number): PhaseSummary {
    const ph = this.phases.get(phase);
    if (!ph) return { phase, count: 0, byPublisher: new Array<number>(this.opts.publishers).fill(0), firstAt: 0, lastAt: 0, samples: new Float64Array(0), malformed: this.malformed };
    return { phase, count: ph.count, byPublisher: [...ph.byPublisher], firstAt: ph.firstAt, lastAt: ph.lastAt, samples: ph.reservoir.slice(0, ph.filled), malformed: this.malformed };
  }

  private phaseOf(phase: number): PhaseTally {
    let ph = this.phases.get(phase);
    if (!ph) {
      ph = new PhaseTally(phase, this.opts.publishers, this.opts.reservoir);
      this.phases.set(phase, ph);
    }
    this.current = ph;
    return ph;
  }

  private report(ph: PhaseTally): void {
    ph.sinceReport = 0;
    this.dirty = false;
    this.opts.onProgress?.(ph.phase, [...ph.maxSeq]);
  }
}
