/**
 * The API as a worker: listen, beat `system.api.health`, honour
 * `system.api.control` stop, prune the journal hourly, and close cleanly
 * (open streams first) when the signal aborts.
 */
import { runControlListener, runHeartbeat } from '../bus/index.js';
import { buildApi, type ApiDeps } from './app.js';

export interface RunApiDeps extends ApiDeps {
  readonly signal: AbortSignal;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Called with the bound URL once listening. */
  readonly onListening?: (url: string) => void;
  /**
   * Honour `system.api.control` stop itself (default). Under the supervisor the
   * supervisor does it, so a stop is never mistaken for a crash.
   */
  readonly listenForStop?: boolean;
}

const PRUNE_EVERY_MS = 3_600_000;

export async function runApi(deps: RunApiDeps): Promise<void> {
  const { app } = buildApi(deps);
  const { log, clock, bus, db } = deps;
  const stopping = new AbortController();
  const onOuter = (): void => stopping.abort(deps.signal.reason);
  deps.signal.addEventListener('abort', onOuter, { once: true });
  try {
    const address = await app.listen({ host: deps.host, port: deps.port });
    deps.onListening?.(address.replace('[::1]', 'localhost'));
    const heartbeat = runHeartbeat(bus, 'api', { signal: stopping.signal, clock, log, intervalMs: deps.config.workers.heartbeatSecs * 1000 });
    const control = deps.listenForStop === false ? Promise.resolve() : runControlListener(bus, 'api', stopping, { log });
    const pruner = (async () => {
      while (!stopping.signal.aborted) {
        try {
          const n = await db.repos.journal.pruneOlderThan(deps.config.journal.retentionHours);
          if (n > 0) log.info({ pruned: n }, 'journal pruned');
          await db.repos.revokedTokens.prune();
        } catch (err) {
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'journal prune failed; retrying in an hour');
        }
        await clock.sleep(PRUNE_EVERY_MS, stopping.signal).catch(() => undefined);
      }
    })();
    await new Promise<void>((resolve) => {
      if (stopping.signal.aborted) resolve();
      else stopping.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.all([heartbeat, control, pruner]);
  } finally {
    deps.signal.removeEventListener('abort', onOuter);
    await app.close();
  }
}
