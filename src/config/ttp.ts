/**
 * The settings of the `ttp` worker (ttp.md §9.6). A bad value fails at start naming the
 * variable. The confidence floor is not here: the pack and its tests depend on it.
 */
import { join, resolve } from 'node:path';
import { readInt, type Env } from '../bus/index.js';
import { ConfigError } from './errors.js';

export interface TtpConfig {
  /** `DECNET_TTP_RULES_DIR` (`$DECNET_HOME/rules/ttp`); null when `off`. */
  readonly rulesDir: string | null;
  /** `DECNET_TTP_FS_DEBOUNCE_MS` (50). */
  readonly fsDebounceMs: number;
  /** `DECNET_TTP_FS_RESCAN_SECS` (10). */
  readonly fsRescanSecs: number;
  /** `DECNET_TTP_DB_POLL_MS` (1000): the database store and rule states. */
  readonly dbPollMs: number;
  /** `DECNET_TTP_BATCH` (500): rows or journal events per transaction. */
  readonly batch: number;
  /** `DECNET_TTP_POLL_SECS` (5): the polling fallback without wake-ups. */
  readonly pollSecs: number;
  /** `DECNET_TTP_WARMUP_MAX_ROWS` (50000). */
  readonly warmupMaxRows: number;
  /** `DECNET_TTP_MAX_FIELD_CHARS` (4096). */
  readonly maxFieldChars: number;
  /** `DECNET_TTP_REDOS_TIMEOUT_MS` (10000). */
  readonly redosTimeoutMs: number;
  /** `DECNET_TTP_STATE_MAX_GROUPS` (100000). */
  readonly stateMaxGroups: number;
  /** `DECNET_TTP_SEEN_MAX` (200000). */
  readonly seenMax: number;
  /** `DECNET_TTP_TAG_RETENTION_DAYS` (0 = keep forever). */
  readonly tagRetentionDays: number;
  /** `DECNET_ATTACK_BUNDLE`: another STIX bundle; undefined = the shipped one. */
  readonly attackBundle: string | undefined;
}

function readRulesDir(env: Env, home: string): string | null {
  const raw = env.DECNET_TTP_RULES_DIR;
  if (raw === undefined || raw.trim() === '') return join(home, 'rules', 'ttp');
  if (raw.trim() === 'off') return null;
  if (raw.includes('\0')) throw new ConfigError('DECNET_TTP_RULES_DIR', 'expected a directory path or `off`');
  return resolve(raw.trim());
}

export function readTtpConfig(env: Env, home: string): TtpConfig {
  const bundle = env.DECNET_ATTACK_BUNDLE?.trim();
  return {
    rulesDir: readRulesDir(env, home),
    fsDebounceMs: readInt(env, 'DECNET_TTP_FS_DEBOUNCE_MS', 50, 1, 60_000),
    fsRescanSecs: readInt(env, 'DECNET_TTP_FS_RESCAN_SECS', 10, 1, 86_400),
    dbPollMs: readInt(env, 'DECNET_TTP_DB_POLL_MS', 1000, 50, 3_600_000),
    batch: readInt(env, 'DECNET_TTP_BATCH', 500, 1, 10_000),
    pollSecs: readInt(env, 'DECNET_TTP_POLL_SECS', 5, 1, 86_400),
    warmupMaxRows: readInt(env, 'DECNET_TTP_WARMUP_MAX_ROWS', 50_000, 0, 10_000_000),
    maxFieldChars: readInt(env, 'DECNET_TTP_MAX_FIELD_CHARS', 4096, 64, 1_048_576),
    redosTimeoutMs: readInt(env, 'DECNET_TTP_REDOS_TIMEOUT_MS', 10_000, 100, 600_000),
    stateMaxGroups: readInt(env, 'DECNET_TTP_STATE_MAX_GROUPS', 100_000, 100, 100_000_000),
    seenMax: readInt(env, 'DECNET_TTP_SEEN_MAX', 200_000, 100, 100_000_000),
    tagRetentionDays: readInt(env, 'DECNET_TTP_TAG_RETENTION_DAYS', 0, 0, 100_000),
    attackBundle: bundle === undefined || bundle === '' ? undefined : resolve(bundle),
  };
}
