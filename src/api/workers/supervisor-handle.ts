/**
 * What the API may ask of the supervisor when it runs under `decnet up`
 * (eventplane.md §2). `decnet api` alone has none: start answers 503.
 */
import type { WorkerName } from './known.js';

export type RunState = 'starting' | 'running' | 'backoff' | 'stopped' | 'failed';

export interface ManagedWorkerState {
  readonly runState: RunState;
  readonly restarts: number;
  /** How the last run ended, e.g. `exit 1`, `signal SIGKILL`, `stopped`; null if it never ended. */
  readonly lastExit: string | null;
}

export type StartOutcome = 'started' | 'already_running' | 'not_installed';

export interface SupervisorHandle {
  /** State of a worker the supervisor manages, or undefined when it does not. */
  state(name: WorkerName): ManagedWorkerState | undefined;
  start(name: WorkerName): Promise<StartOutcome>;
  /** Stops a managed worker on purpose (it is not restarted). */
  stop(name: WorkerName): Promise<void>;
}
