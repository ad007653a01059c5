/**
 * Webhook egress settings (eventplane.md §9, CORRECTIONS #6.10, #5.14). A bad value
 * fails at start naming the variable and what it accepts.
 */
import { isIP } from 'node:net';
import { readBool, readInt, type Env } from '../bus/index.js';
import { ConfigError } from './errors.js';

export interface WebhookConfig {
  /** `DECNET_WEBHOOK_FAST_RETRY_SECS` (1,2,4): delays of the fast retries, seconds. */
  readonly fastRetrySecs: readonly number[];
  /** `DECNET_WEBHOOK_DURABLE_RETRY_SECS` (30,300,1800,7200,21600), seconds. */
  readonly durableRetrySecs: readonly number[];
  /** `DECNET_WEBHOOK_RETRY_AFTER_MAX_SECS` (3600): cap on a receiver's Retry-After. */
  readonly retryAfterMaxSecs: number;
  /** `DECNET_WEBHOOK_TIMEOUT_SECS` (10, at most 25): one whole exchange; it must end well inside the 30 s lease of its row. */
  readonly timeoutSecs: number;
  /** `DECNET_WEBHOOK_CONCURRENCY` (16): attempts in flight in all. */
  readonly concurrency: number;
  /** `DECNET_WEBHOOK_PER_SUBSCRIPTION` (4): attempts in flight per subscription. */
  readonly perSubscription: number;
  /** `DECNET_WEBHOOK_CIRCUIT_THRESHOLD` (5, min 1). */
  readonly circuitThreshold: number;
  /** `DECNET_WEBHOOK_CIRCUIT_COOLDOWN_SECS` (600). */
  readonly circuitCooldownSecs: number;
  /** `DECNET_WEBHOOK_ALLOW_PRIVATE` (false): lift the SSRF deny table (local SIEMs, tests). */
  readonly allowPrivate: boolean;
  /** `DECNET_WEBHOOK_ALLOW_CIDRS` (empty): blocks lifted from the deny table, comma separated. */
  readonly allowCidrs: readonly string[];
  /** `DECNET_WEBHOOK_DNS_CACHE_SECS` (30). */
  readonly dnsCacheSecs: number;
  /** `DECNET_WEBHOOK_CREATE_RATE_PER_MIN` (20): creates per user per minute. */
  readonly createRatePerMin: number;
  /** `DECNET_WEBHOOK_DELIVERY_RETENTION_DAYS` (`7,30`): succeeded rows, then dead rows. */
  readonly retention: { readonly succeededDays: number; readonly deadDays: number };
}

function readSecsList(env: Env, name: string, fallback: readonly number[]): readonly number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parts = raw.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '' || !/^\d+(\.\d+)?$/.test(p)) || values.some((v) => !Number.isFinite(v) || v > 86_400)) {
    throw new ConfigError(name, `expected comma-separated delays in seconds (0–86400), got ${JSON.stringify(raw)}`);
  }
  return values;
}

function readCidrs(env: Env, name: string): readonly string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const cidr of list) {
    const [address = '', prefix, extra] = cidr.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max))) {
      throw new ConfigError(name, `expected comma-separated CIDRs such as 10.20.0.0/16 or fd12::/64, got ${JSON.stringify(cidr)}`);
    }
  }
  return list;
}

function readRetention(env: Env, name: string): WebhookConfig['retention'] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return { succeededDays: 7, deadDays: 30 };
  const m = /^\s*(\d{1,5})\s*(?:,\s*(\d{1,5})\s*)?$/.exec(raw);
  if (!m || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) < 1)) throw new ConfigError(name, `expected days for succeeded rows, optionally followed by days for dead rows (7,30), got ${JSON.stringify(raw)}`);
  return { succeededDays: Number(m[1]), deadDays: m[2] === undefined ? 30 : Number(m[2]) };
}

export function readWebhookConfig(env: Env): WebhookConfig {
  return {
    fastRetrySecs: readSecsList(env, 'DECNET_WEBHOOK_FAST_RETRY_SECS', [1, 2, 4]),
    durableRetrySecs: readSecsList(env, 'DECNET_WEBHOOK_DURABLE_RETRY_SECS', [30, 300, 1800, 7200, 21_600]),
    retryAfterMaxSecs: readInt(env, 'DECNET_WEBHOOK_RETRY_AFTER_MAX_SECS', 3600, 0, 86_400),
    timeoutSecs: readInt(env, 'DECNET_WEBHOOK_TIMEOUT_SECS', 10, 1, 25),
    concurrency: readInt(env, 'DECNET_WEBHOOK_CONCURRENCY', 16, 1, 1024),
    perSubscription: readInt(env, 'DECNET_WEBHOOK_PER_SUBSCRIPTION', 4, 1, 1024),
    circuitThreshold: readInt(env, 'DECNET_WEBHOOK_CIRCUIT_THRESHOLD', 5, 1, 100_000),
    circuitCooldownSecs: readInt(env, 'DECNET_WEBHOOK_CIRCUIT_COOLDOWN_SECS', 600, 0, 86_400),
    allowPrivate: readBool(env, 'DECNET_WEBHOOK_ALLOW_PRIVATE', false),
    allowCidrs: readCidrs(env, 'DECNET_WEBHOOK_ALLOW_CIDRS'),
    dnsCacheSecs: readInt(env, 'DECNET_WEBHOOK_DNS_CACHE_SECS', 30, 0, 86_400),
    createRatePerMin: readInt(env, 'DECNET_WEBHOOK_CREATE_RATE_PER_MIN', 20, 1, 100_000),
    retention: readRetention(env, 'DECNET_WEBHOOK_DELIVERY_RETENTION_DAYS'),
  };
}
