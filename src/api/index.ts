/** The HTTP API: build it, run it as a worker, and the types the supervisor plugs in. */
export { buildApi, API_VERSION, BODY_LIMIT_BYTES, type Api, type ApiDeps } from './app.js';
export { runApi, type RunApiDeps } from './worker.js';
export { KNOWN_WORKERS, START_ALL_ORDER, isKnownWorker, type WorkerName } from './workers/known.js';
export type { SupervisorHandle, ManagedWorkerState, RunState, StartOutcome } from './workers/supervisor-handle.js';
export type { ApiContext } from './context.js';
export { ApiError } from './errors.js';
export { hashPassword, verifyPassword, passwordProblem, PASSWORD_MIN, PASSWORD_MAX } from './auth/passwords.js';
export { renderApiMarkdown, openApiDocument } from './docs.js';
