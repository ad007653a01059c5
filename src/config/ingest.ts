/**
 * The ingest settings (eventplane.md §8.3–§8.5, §9). A bad value fails at start naming
 * the variable and what it accepts. Ingest refuses to tail DECNET's own event log
 * (`DECNET_EVENT_LOG_FILE`): its lines are stored by the mutator already (§6).
 */
import { isAbsolute, join, resolve } from 'node:path';
import { readBool, readInt, type Env } from '../bus/index.js';
import { ConfigError } from './errors.js';

export const INGEST_FORMATS = ['rfc5424', 'cowrie', 'opencanary', 'auto'] as const;
export type IngestFormat = (typeof INGEST_FORMATS)[number];

export interface IngestFileSetting {
  readonly format: IngestFormat;
  /** Absolute. */
  readonly path: string;
}

export interface ListenSetting {
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
}

export interface IngestConfig {
  /** `DECNET_INGEST_FILES` (`format:path,…`). */
  readonly files: readonly IngestFileSetting[];
  /** `DECNET_INGEST_UDP`, `DECNET_INGEST_TCP` (`127.0.0.1:5514`; null when `off`). */
  readonly udp: ListenSetting | null;
  readonly tcp: ListenSetting | null;
  /** `DECNET_INGEST_MAX_LINE`, bytes (65536). */
  readonly maxLine: number;
  /** `DECNET_BATCH_SIZE` (100), `DECNET_BATCH_MAX_WAIT_MS` (250). */
  readonly batchSize: number;
  readonly batchMaxWaitMs: number;
  /** `DECNET_INGEST_DROP_APPS` (§8.5; `none` for an empty list). */
  readonly dropApps: readonly string[];
  /** `DECNET_INGEST_RL_EVENT_TYPES` (§8.5), `DECNET_INGEST_RL_WINDOW_SEC` (1.0; 0 disables). */
  readonly rlEventTypes: readonly string[];
  readonly rlWindowSec: number;
  /** `DECNET_INGEST_PUBLISH_LINES` (false): one `system.log` `line` event per stored line. */
  readonly publishLines: boolean;
  /** `DECNET_STORE_PLAINTEXT_CREDENTIALS` (false). */
  readonly storePlaintextCredentials: boolean;
  /** `DECNET_EVENT_LOG_FILE` (`$DECNET_HOME/logs/decnet.log`): never tailed. */
  readonly eventLogFile: string;
}

export const DEFAULT_DROP_APPS: readonly string[] = ['sshd', 'pam_unix', 'sudo', 'su', 'CRON', 'cron', 'systemd', 'kernel', 'rsyslogd', 'dbus-daemon'];
export const DEFAULT_RL_EVENT_TYPES: readonly string[] = ['connect', 'disconnect', 'connection', 'accept', 'close'];
export const DEFAULT_INGEST_LISTEN = '127.0.0.1:5514';

function list(env: Env, name: string, fallback: readonly string[]): readonly string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (raw.trim().toLowerCase() === 'none') return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `host:port`, `[v6]:port` or `off`. */
export function parseListen(name: string, raw: string | undefined): ListenSetting | null {
  const value = (raw ?? DEFAULT_INGEST_LISTEN).trim() || DEFAULT_INGEST_LISTEN;
  if (value.toLowerCase() === 'off') return null;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new ConfigError(name, `expected HOST:PORT (e.g. ${DEFAULT_INGEST_LISTEN}, [::1]:5514) or off, got ${JSON.stringify(raw)}`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** `format:path,…` → the files to tail, absolute. */
export function parseIngestFiles(raw: string | undefined): IngestFileSetting[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const colon = entry.indexOf(':');
      const format = entry.slice(0, colon).trim().toLowerCase();
      const path = entry.slice(colon + 1).trim();
      if (colon === -1 || !(INGEST_FORMATS as readonly string[]).includes(format) || path === '') {
        throw new ConfigError('DECNET_INGEST_FILES', `expected comma-separated FORMAT:PATH with FORMAT one of ${INGEST_FORMATS.join(', ')}, got ${JSON.stringify(entry)}`);
      }
      return { format: format as IngestFormat, path: isAbsolute(path) ? path : resolve(path) };
    });
}

function readSeconds(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim());
  if (!/^\d+(?:\.\d+)?$/.test(raw.trim()) || n > 86_400) throw new ConfigError(name, `expected seconds between 0 and 86400 (0 disables), got ${JSON.stringify(raw)}`);
  return n;
}

/** Refuses DECNET's own event log as an input (a configuration error naming the file). */
export function checkNotEventLog(variable: string, path: string, eventLogFile: string): void {
  if (resolve(path) === resolve(eventLogFile)) {
    throw new ConfigError(variable, `${path} is DECNET's own event log (DECNET_EVENT_LOG_FILE): its lines are stored already and would be stored twice`);
  }
}

export function readIngestConfig(env: Env, home: string): IngestConfig {
  const eventLogFile = env.DECNET_EVENT_LOG_FILE?.trim() || join(home, 'logs', 'decnet.log');
  const files = parseIngestFiles(env.DECNET_INGEST_FILES);
  for (const f of files) checkNotEventLog('DECNET_INGEST_FILES', f.path, eventLogFile);
  return {
    files,
    udp: parseListen('DECNET_INGEST_UDP', env.DECNET_INGEST_UDP),
    tcp: parseListen('DECNET_INGEST_TCP', env.DECNET_INGEST_TCP),
    maxLine: readInt(env, 'DECNET_INGEST_MAX_LINE', 65_536, 1024, 16 * 1024 * 1024),
    batchSize: readInt(env, 'DECNET_BATCH_SIZE', 100, 1, 10_000),
    batchMaxWaitMs: readInt(env, 'DECNET_BATCH_MAX_WAIT_MS', 250, 1, 60_000),
    dropApps: list(env, 'DECNET_INGEST_DROP_APPS', DEFAULT_DROP_APPS),
    rlEventTypes: list(env, 'DECNET_INGEST_RL_EVENT_TYPES', DEFAULT_RL_EVENT_TYPES),
    rlWindowSec: readSeconds(env, 'DECNET_INGEST_RL_WINDOW_SEC', 1.0),
    publishLines: readBool(env, 'DECNET_INGEST_PUBLISH_LINES', false),
    storePlaintextCredentials: readBool(env, 'DECNET_STORE_PLAINTEXT_CREDENTIALS', false),
    eventLogFile,
  };
}
