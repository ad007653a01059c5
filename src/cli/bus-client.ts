/**
 * The bus a one-shot command (`decnet pub`, `decnet sub`) talks to: the
 * environment's transport, `--socket` over DECNET_BUS_SOCKET, and a 2 s limit
 * to find a broker (exit 3), so a typo'd path fails fast instead of buffering.
 */
import { pino } from 'pino';
import { BusConfigError, BusUnavailableError, getBus, readBusEnv, TopicError, type Bus } from '../bus/index.js';
import { CliExit, EXIT_NO_BUS, EXIT_USAGE } from './exit.js';

export const CLI_CONNECT_TIMEOUT_MS = 2000;

/** Warnings (a payload off its schema, a lost broker) go to stderr as JSON lines. */
export const cliLog = pino({ level: process.env.DECNET_LOG_LEVEL ?? 'warn' }, pino.destination(2));

export interface CliBusOptions {
  readonly socket?: string;
  readonly name: string;
}

function envWith(socket: string | undefined): NodeJS.ProcessEnv {
  return socket ? { ...process.env, DECNET_BUS_SOCKET: socket } : process.env;
}

/** Where the command looks for the bus, for error messages. */
export function describeTarget(socket: string | undefined): string {
  const settings = readBusEnv(envWith(socket));
  return settings.transport === 'unix' ? `the broker at ${settings.socketPath}` : settings.transport === 'nats' ? `NATS at ${settings.natsUrl}` : `the ${settings.transport} bus`;
}

export async function connectCliBus(opts: CliBusOptions): Promise<Bus> {
  let bus: Bus;
  try {
    bus = getBus({ name: opts.name, env: envWith(opts.socket), log: cliLog });
  } catch (err) {
    if (err instanceof BusConfigError) throw new CliExit(EXIT_USAGE, err.message);
    throw err;
  }
  try {
    await bus.connect({ timeoutMs: CLI_CONNECT_TIMEOUT_MS });
  } catch (err) {
    await bus.close();
    if (err instanceof BusUnavailableError) throw new CliExit(EXIT_NO_BUS, `no broker answers: ${describeTarget(opts.socket)} (is \`decnet bus\` running?)`);
    throw err;
  }
  return bus;
}

/** A TopicError becomes a usage exit with its message. */
export function usageOnTopicError(err: unknown): never {
  if (err instanceof TopicError) throw new CliExit(EXIT_USAGE, err.message);
  throw err;
}
