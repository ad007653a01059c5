/** The supervisor's worker table (CORRECTIONS #5.11): name → how to run it. */
import type { WorkerName } from '../api/workers/known.js';

/** A worker run inside the supervisor's process: resolves when it ends (cleanly on abort). */
export type InProcessRun = (signal: AbortSignal) => Promise<void>;

export interface WorkerSpec {
  readonly name: WorkerName;
  /** In process … */
  readonly run?: InProcessRun;
  /** … or a child process: argv for `node` (e.g. [decnetBin, 'ingest']), run with an IPC channel. */
  readonly command?: readonly string[];
}
