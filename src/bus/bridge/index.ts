/**
 * The local↔NATS bridge (bus.md §5): `decnet bus --bridge URL --export P… --import P…`
 * runs it inside the broker process.
 */
import { readBusEnv, type Env } from '../env.js';
import { streamSettingsFrom } from '../durable/settings.js';
import { normalizePatterns } from '../durable/names.js';
import { BusConfigError } from '../errors.js';
import { parseServers } from '../transports/nats-connection.js';
import type { BridgeOptions } from './bridge.js';

export { startBridge, type Bridge, type BridgeBroker, type BridgeOptions, type BridgeStats } from './bridge.js';
export type { LinkState } from './link.js';

export interface BridgeArgs {
  /** `--bridge URL` */
  readonly url: string;
  /** `--export PATTERN...` */
  readonly exports?: readonly string[];
  /** `--import PATTERN...` */
  readonly imports?: readonly string[];
}

/**
 * The bridge's settings from the command line and the environment (credentials or
 * token, the durable-topics stream). Throws BusConfigError / TopicError for bad input,
 * before anything starts.
 */
export function bridgeSettings(args: BridgeArgs, env: Env = process.env): Omit<BridgeOptions, 'broker' | 'clock' | 'log'> {
  const settings = readBusEnv(env);
  parseServers(args.url);
  const exports = args.exports ?? [];
  const imports = args.imports ?? [];
  if (exports.length === 0 && imports.length === 0) throw new BusConfigError('--bridge', 'give at least one --export or --import pattern');
  if (exports.length > 0) normalizePatterns(exports); // TopicError names the bad one
  if (imports.length > 0) normalizePatterns(imports);
  return {
    servers: args.url,
    token: settings.natsToken,
    credsFile: settings.natsCreds,
    exports,
    imports,
    stream: streamSettingsFrom(settings),
    offlineBuffer: settings.offlineBuffer,
  };
}
