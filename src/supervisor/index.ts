/** The supervisor of `decnet up`: the worker table, restarts with backoff, ordered shutdown. */
export { Supervisor, type SupervisorOptions } from './supervisor.js';
export { RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
export { exitWithSupervisor, releaseSupervisor } from './child.js';
export type { WorkerSpec, InProcessRun, WorkerDeps, WorkerDefinition } from './types.js';
export { WORKERS } from './worker-table.js';
