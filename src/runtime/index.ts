/** Process start-up shared by every command: config, logger, home, database, keys, first admin. */
export { openRuntime, type Runtime, type OpenRuntimeOptions } from './runtime.js';
export { ensureFirstAdmin, type FirstAdmin } from './first-admin.js';
