/**
 * The one logger of a process: pino JSON lines, readable lines when stderr is
 * a terminal. Parts get children (`log.child({worker: 'api'})`). Secrets never
 * reach it: callers log ids and counts, and the request log drops query strings.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  /** Readable lines instead of JSON (default: when stderr is a TTY). */
  readonly pretty?: boolean;
  readonly name?: string;
}

export function createLogger(opts: LoggerOptions): Logger {
  const readable = opts.pretty ?? process.stderr.isTTY === true;
  const base = { level: opts.level, ...(opts.name ? { name: opts.name } : {}) };
  if (readable) return pino(base, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
  return pino(base, pino.destination({ dest: 2, sync: false }));
}
