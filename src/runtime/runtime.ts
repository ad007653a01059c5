/**
 * Everything a DECNET process opens before its work: the config, the logger,
 * `$DECNET_HOME`, the database (migrated) and the master key. One place, so
 * `decnet up`, `decnet api` and `decnet user` start the same way.
 */
import { mkdirSync } from 'node:fs';
import { systemClock, type Clock, type Logger } from '../bus/index.js';
import { loadConfig, type DecnetConfig, type LoadConfigOptions } from '../config/index.js';
import { openDatabase, type Db } from '../db/index.js';
import { createLogger } from '../log/index.js';
import { deriveKey, loadMasterKey } from '../secrets/index.js';

export interface Runtime {
  readonly config: DecnetConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly db: Db;
  readonly masterKey: Buffer;
  readonly jwtKey: Buffer;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions extends LoadConfigOptions {
  /** Applied over the loaded config (command-line flags). */
  readonly override?: (config: DecnetConfig) => DecnetConfig;
  readonly clock?: Clock;
  readonly logName?: string;
}

export async function openRuntime(opts: OpenRuntimeOptions = {}): Promise<Runtime> {
  let config = loadConfig(opts);
  if (opts.override) config = opts.override(config);
  const clock = opts.clock ?? systemClock;
  const log = createLogger({ level: config.logLevel, name: opts.logName });
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const db = await openDatabase({ url: config.database.url, home: config.home, clock, log, sqliteSynchronous: config.database.sqliteSynchronous });
  try {
    const masterKey = await loadMasterKey({ envValue: config.secretKey, home: config.home });
    return {
      config,
      log,
      clock,
      db,
      masterKey,
      jwtKey: deriveKey(masterKey, 'jwt'),
      close: async () => {
        await db.close();
        log.flush();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
