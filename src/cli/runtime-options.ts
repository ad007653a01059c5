/** Flags shared by the commands that open the runtime (`up`, `api`, `user`). */
import type { Command } from 'commander';
import { ConfigError, type DecnetConfig } from '../config/index.js';
import { DatabaseConfigError } from '../db/index.js';
import { openRuntime, type Runtime } from '../runtime/index.js';
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from './exit.js';

export interface ApiFlags {
  config?: string;
  host?: string;
  port?: string;
}

export function withConfigFlag(cmd: Command): Command {
  return cmd.option('--config <path>', 'settings file (default: $DECNET_HOME/decnet.toml when present)');
}

export function withListenFlags(cmd: Command): Command {
  return cmd.option('--host <host>', 'API address (default: DECNET_API_HOST, 127.0.0.1)').option('--port <port>', 'API port, 0 for any free one (default: DECNET_API_PORT, 8787)');
}

export function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new CliExit(EXIT_USAGE, `--port must be an integer 0–65535, got ${JSON.stringify(raw)}`);
  return n;
}

/** Opens the runtime; a bad setting ends the command with exit 2 and the variable's name. */
export async function openCliRuntime(flags: { config?: string }, override?: (c: DecnetConfig) => DecnetConfig, logName?: string): Promise<Runtime> {
  try {
    return await openRuntime({ ...(flags.config ? { file: flags.config } : {}), ...(override ? { override } : {}), ...(logName ? { logName } : {}) });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DatabaseConfigError) throw new CliExit(EXIT_USAGE, err.message);
    if (err instanceof Error && /DECNET_SECRET_KEY|secret\.key|chmod/.test(err.message)) throw new CliExit(EXIT_FAILURE, err.message);
    throw err;
  }
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function untilSignal(): AbortSignal {
  const ctl = new AbortController();
  const stop = (): void => ctl.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ctl.signal;
}
