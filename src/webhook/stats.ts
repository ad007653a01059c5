/**
 * The webhook worker's counters: its heartbeat extras (eventplane.md §4.8: `pending`,
 * `failed`, `dead`, `in_flight`, `circuits_open`) plus running totals since start.
 * Row counts come from the database (refreshed by the worker's maintenance pass, so a
 * beat never waits on a query); the rest is counted as it happens.
 */
import type { CycleReport } from './outbox.js';

export class WebhookStats {
  pending = 0;
  failed = 0;
  dead = 0;
  circuitsOpen = 0;
  /** Read at each beat. */
  inFlight: () => number = () => 0;
  succeededTotal = 0;
  retriedTotal = 0;
  deadTotal = 0;
  rowsCreated = 0;
  /** Journal events pruned before the worker read them. */
  journalGaps = 0;
  /** Live events dropped because the worker's queue was full. */
  liveDropped = 0;

  recordCycle(report: Pick<CycleReport, 'succeeded' | 'retried' | 'dead'>): void {
    this.succeededTotal += report.succeeded;
    this.retriedTotal += report.retried;
    this.deadTotal += report.dead;
  }

  /** The heartbeat extras. */
  snapshot(): Record<string, number> {
    return {
      pending: this.pending,
      failed: this.failed,
      dead: this.dead,
      in_flight: this.inFlight(),
      circuits_open: this.circuitsOpen,
      succeeded_total: this.succeededTotal,
      retried_total: this.retriedTotal,
      dead_total: this.deadTotal,
      rows_created: this.rowsCreated,
      journal_gaps: this.journalGaps,
      live_dropped: this.liveDropped,
    };
  }
}
