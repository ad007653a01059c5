/**
 * The one configuration of a DECNET process: environment over the settings file
 * over defaults, parsed into a typed value at start. A bad value fails at once
 * with the variable's name and what it accepts (eventplane.md §9).
 */
import { join } from 'node:path';
import { BusConfigError, decnetHome, readBusEnv, readChoice, readInt, topics, validatePattern, type BusEnv, type Env } from '../bus/index.js';
import { readAnalysisConfig, type AnalysisConfig } from './analysis.js';
import { ConfigError } from './errors.js';
import { readSettingsFile, type EnvMap } from './file.js';
import { readIngestConfig, type IngestConfig } from './ingest.js';
import { readTtpConfig, type TtpConfig } from './ttp.js';
import { readWebhookConfig, type WebhookConfig } from './webhook.js';

export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  /** Access token lifetime, seconds. */
  readonly jwtTtlSecs: number;
  /** Login attempts per minute per address and per username. */
  readonly loginRatePerMin: number;
  readonly sseMaxPerUser: number;
  readonly sseMaxTotal: number;
}

export interface DecnetConfig {
  readonly home: string;
  /** The settings file that was read, if any. */
  readonly file: string | undefined;
  readonly bus: BusEnv;
  readonly database: { readonly url: string | undefined; readonly sqliteSynchronous: 'NORMAL' | 'FULL' };
  readonly api: ApiConfig;
  /** First-admin password (12–1024 characters); only read while no user exists. */
  readonly adminPassword: string | undefined;
  /** DECNET_SECRET_KEY (32 bytes, hex or base64); else the key file in home. */
  readonly secretKey: string | undefined;
  readonly journal: { readonly retentionHours: number; readonly durableTopics: readonly string[] };
  readonly workers: {
    readonly okWindowSecs: number;
    readonly stopGraceSecs: number;
    /** Seconds between worker heartbeats (system.<worker>.health). */
    readonly heartbeatSecs: number;
    /** Seconds between the broker's system.bus.health beats. */
    readonly busHeartbeatSecs: number;
  };
  readonly logLevel: string;
  /** eventplane.md §8, §9 (ingest). */
  readonly ingest: IngestConfig;
  /** analysis.md §12 (correlate). */
  readonly analysis: AnalysisConfig;
  /** eventplane.md §4, §9 (webhook egress). */
  readonly webhook: WebhookConfig;
  /** ttp.md §9.6 (ATT&CK tagging). */
  readonly ttp: TtpConfig;
}

export interface LoadConfigOptions {
  readonly env?: Env;
  /** `--config PATH`; else `$DECNET_HOME/decnet.toml` when it exists. */
  readonly file?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function readString(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function readPatternList(env: Env, name: string, fallback: readonly string[]): readonly string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of list) {
    try {
      validatePattern(p);
    } catch (err) {
      throw new ConfigError(name, `expected comma-separated topic patterns; ${(err as Error).message}`);
    }
  }
  return list;
}

function withPrefix(env: Env): EnvMap {
  const out: EnvMap = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('DECNET_')) out[k] = v;
  return out;
}

export function loadConfig(opts: LoadConfigOptions = {}): DecnetConfig {
  const processEnv = opts.env ?? process.env;
  const home = decnetHome(processEnv);
  const filePath = opts.file ?? join(home, 'decnet.toml');
  const fromFile = readSettingsFile(filePath, opts.file !== undefined);
  // environment over file; DECNET_HOME itself can only come from the environment
  const env: Env = { ...fromFile, ...withPrefix(processEnv), DECNET_HOME: home, HOME: processEnv.HOME };
  try {
    const adminPassword = readString(env, 'DECNET_ADMIN_PASSWORD');
    if (adminPassword !== undefined && (adminPassword.length < 12 || adminPassword.length > 1024)) {
      throw new ConfigError('DECNET_ADMIN_PASSWORD', `must be 12–1024 characters, got ${adminPassword.length}`);
    }
    const durableTopics = readPatternList(env, 'DECNET_DURABLE_TOPICS', topics.DEFAULT_DURABLE_PATTERNS);
    return {
      home,
      file: Object.keys(fromFile).length > 0 || opts.file !== undefined ? filePath : undefined,
      bus: readBusEnv(env),
      database: {
        url: readString(env, 'DECNET_DATABASE_URL'),
        sqliteSynchronous: readChoice(env, 'DECNET_SQLITE_SYNCHRONOUS', ['normal', 'full'] as const, 'normal') === 'full' ? 'FULL' : 'NORMAL',
      },
      api: {
        host: readString(env, 'DECNET_API_HOST') ?? '127.0.0.1',
        port: readInt(env, 'DECNET_API_PORT', 8787, 0, 65535),
        jwtTtlSecs: readInt(env, 'DECNET_JWT_TTL_SECS', 28_800, 60, 30 * 86_400),
        loginRatePerMin: readInt(env, 'DECNET_LOGIN_RATE_PER_MIN', 10, 1, 100_000),
        sseMaxPerUser: readInt(env, 'DECNET_SSE_MAX_PER_USER', 5, 1, 10_000),
        sseMaxTotal: readInt(env, 'DECNET_SSE_MAX_TOTAL', 1000, 1, 100_000),
      },
      adminPassword,
      secretKey: readString(env, 'DECNET_SECRET_KEY'),
      journal: { retentionHours: readInt(env, 'DECNET_JOURNAL_RETENTION_HOURS', 168, 1, 100_000), durableTopics },
      workers: {
        okWindowSecs: readInt(env, 'DECNET_WORKER_OK_WINDOW_SECS', 90, 1, 86_400),
        stopGraceSecs: readInt(env, 'DECNET_STOP_GRACE_SECS', 10, 1, 3600),
        heartbeatSecs: readInt(env, 'DECNET_HEARTBEAT_SECS', 30, 1, 3600),
        busHeartbeatSecs: readInt(env, 'DECNET_BUS_HEARTBEAT_SECS', 10, 1, 3600),
      },
      logLevel: readChoice(env, 'DECNET_LOG_LEVEL', LOG_LEVELS, 'info'),
      ingest: readIngestConfig(env, home),
      analysis: readAnalysisConfig(env),
      webhook: readWebhookConfig(env),
      ttp: readTtpConfig(env, home),
    };
  } catch (err) {
    if (err instanceof BusConfigError) throw new ConfigError(err.variable, err.message.slice(err.variable.length + 2));
    throw err;
  }
}
