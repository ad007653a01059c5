/**
 * `runHeartbeat`: `system.<worker>.health` at start and every interval until
 * the worker's signal aborts (spec/bus.md §6, eventplane.md §2).
 */
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../log.js';
import { systemHealth } from '../topics/index.js';
import type { Bus } from '../types.js';
import { publishSafely } from './publish-safely.js';

export interface HeartbeatOptions {
  readonly signal: AbortSignal;
  /** ms between beats. */
  readonly intervalMs?: number;
  /** Extra payload fields, read at every beat; a throw is logged and the beat still goes out. */
  readonly extra?: () => Record<string, unknown>;
  readonly log?: Logger;
  readonly clock?: Clock;
}

export const DEFAULT_HEARTBEAT_MS = 30_000;

/** Resolves when the signal aborts. */
export async function runHeartbeat(bus: Bus | null, worker: string, opts: HeartbeatOptions): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const interval = opts.intervalMs ?? DEFAULT_HEARTBEAT_MS;
  const topic = systemHealth(worker);
  while (!opts.signal.aborted) {
    let extra: Record<string, unknown> = {};
    if (opts.extra) {
      try {
        extra = opts.extra();
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err), worker }, 'heartbeat extra() threw; beating without extras');
      }
    }
    await publishSafely(bus, topic, { ...extra, worker, ts: clock.now() / 1000 }, { log, clock });
    try {
      await clock.sleep(interval, opts.signal);
    } catch {
      return; // aborted
    }
  }
}
