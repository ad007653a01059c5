/** The supervisor's worker table (CORRECTIONS #5.11): name → how to run it. */
import type { Command } from 'commander';
import type { WorkerName } from '../api/index.js';
import type { Bus, Clock, Logger } from '../bus/index.js';
import type { DecnetConfig } from '../config/index.js';
import type { Db } from '../db/index.js';

/** A worker run inside the supervisor's process: resolves when it ends (cleanly on abort). */
export type InProcessRun = (signal: AbortSignal) => Promise<void>;

export interface WorkerSpec {
  readonly name: WorkerName;
  /** In process … */
  readonly run?: InProcessRun;
  /** … or a child process: argv for `node` (e.g. [decnetBin, 'ingest']), run with an IPC channel. */
  readonly command?: readonly string[];
}

/** What every worker function gets (ARCHITECTURE.md principle 2). */
export interface WorkerDeps {
  readonly bus: Bus;
  readonly db: Db;
  readonly config: DecnetConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** The master key (for workers that open sealed secrets). */
  readonly masterKey: Buffer;
}

/**
 * A worker of this build: `decnet <name>` runs it as a process; `decnet up`
 * runs it as a child (unix, nats) or in process (`--bus memory`).
 */
export interface WorkerDefinition {
  readonly name: WorkerName;
  readonly description: string;
  /** Adds the worker's own flags to `decnet <name>` (read back in `run` as `opts`). */
  readonly options?: (cmd: Command) => Command;
  /** Runs until `deps.signal` aborts. `opts` holds the flags (empty under `decnet up`). */
  readonly run: (deps: WorkerDeps, opts: Record<string, unknown>) => Promise<void>;
  /** Heartbeat extras (the worker's counters). */
  readonly counters?: () => Record<string, unknown>;
  /**
   * Whether `decnet <name>` with these flags runs the worker (heartbeat, control listener)
   * or a one-off command of the same name, such as `decnet ingest --file …`, which must not
   * beat as the worker beside `decnet up`. Default: always the worker (`decnet up` passes
   * no flags).
   */
  readonly runsAsWorker?: (opts: Record<string, unknown>) => boolean;
}
