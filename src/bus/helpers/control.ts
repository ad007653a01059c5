/**
 * `runControlListener`: aborts the worker on `{action: "stop"}` on
 * `system.<worker>.control` (spec/bus.md §6). Other actions are logged at
 * debug and ignored.
 */
import { silentLogger, type Logger } from '../log.js';
import { systemControl } from '../topics/index.js';
import type { Bus } from '../types.js';

export interface ControlOptions {
  readonly log?: Logger;
  /** Stop listening when this aborts (defaults to the controller's own signal). */
  readonly signal?: AbortSignal;
}

/** Resolves when listening ends (stop received, signal aborted, or bus closed). */
export async function runControlListener(bus: Bus | null, worker: string, controller: AbortController, opts: ControlOptions = {}): Promise<void> {
  const log = opts.log ?? silentLogger;
  const signal = opts.signal ?? controller.signal;
  if (!bus || signal.aborted) return;
  const sub = bus.subscribe(systemControl(worker));
  const onAbort = (): void => void sub.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const event of sub) {
      const action = (event.payload as { action?: unknown }).action;
      if (action === 'stop') {
        log.info({ worker, requested_by: (event.payload as { requested_by?: unknown }).requested_by }, 'stop requested on the bus');
        controller.abort(new Error(`stop requested on ${event.topic}`));
        return;
      }
      log.debug({ worker, action }, 'control action ignored');
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await sub.close();
  }
}
