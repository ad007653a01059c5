/**
 * The bus's settings from the environment (spec/bus.md §3, §4.5). Exported so
 * the application's config loader composes them instead of re-reading them;
 * a bad value fails with the variable's name and what is accepted.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ACK_WAIT_SECS, DEFAULT_STREAM_MAX_AGE_HOURS, DEFAULT_STREAM_MAX_BYTES, DEFAULT_STREAM_NAME } from './durable/settings.js';
import { BusConfigError } from './errors.js';
import { isValidPattern } from './grammar.js';
import { DEFAULT_DURABLE_PATTERNS } from './topics/durable.js';
import type { TransportName } from './types.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Longest socket path the kernel keeps (bytes; sun_path is 108 with its NUL): libuv truncates longer ones silently. */
export const MAX_SOCKET_PATH_BYTES = 107;

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** A boolean variable: 1/true/yes/on or 0/false/no/off, any case. */
export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  throw new BusConfigError(name, `expected a boolean (true/false, 1/0, yes/no, on/off), got ${JSON.stringify(raw)}`);
}

/** An integer variable within [min, max]. */
export function readInt(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim();
  if (!/^-?\d+$/.test(v)) throw new BusConfigError(name, `expected an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  const n = Number(v);
  if (n < min || n > max) throw new BusConfigError(name, `expected an integer between ${min} and ${max}, got ${n}`);
  return n;
}

/** One of a fixed set of words (case-insensitive). */
export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  const hit = choices.find((c) => c === v);
  if (!hit) throw new BusConfigError(name, `expected one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return hit;
}

export const TRANSPORTS: readonly TransportName[] = ['unix', 'memory', 'nats', 'null'];

export interface BusEnv {
  readonly transport: TransportName;
  readonly socketPath: string;
  readonly natsUrl: string;
  readonly natsCreds: string | undefined;
  readonly natsToken: string | undefined;
  readonly strict: boolean;
  /** Events kept while disconnected. */
  readonly offlineBuffer: number;
  /** ms to wait for a v2 HELLO before assuming a v1 broker. */
  readonly helloTimeoutMs: number;
  /** Broker: per-connection outbound bound, bytes. */
  readonly maxPendingBytes: number;
  /** Broker: per-connection outbound bound, frames. */
  readonly maxPendingFrames: number;
  /** Broker: a connection full for this long is cut, seconds. */
  readonly slowConsumerSecs: number;
  readonly group: string | undefined;
  /** Patterns whose events must not be lost: the JetStream stream and the journal (DECNET_DURABLE_TOPICS). */
  readonly durableTopics: readonly string[];
  /** JetStream stream of the durable topics (DECNET_NATS_STREAM). */
  readonly natsStream: string;
  /** Stream retention by age, hours; 0 = no limit (DECNET_NATS_STREAM_MAX_AGE_HOURS). */
  readonly natsStreamMaxAgeHours: number;
  /** Stream retention by size, bytes; 0 = no limit (DECNET_NATS_STREAM_MAX_BYTES). */
  readonly natsStreamMaxBytes: number;
  /** Redelivery of an unacked durable event after this many seconds (DECNET_NATS_ACK_WAIT_SECS). */
  readonly natsAckWaitSecs: number;
}

/** A comma-separated list of patterns; every entry must be a valid pattern. */
export function readPatterns(env: Env, name: string, fallback: readonly string[]): readonly string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const p of list) {
    if (!isValidPattern(p)) throw new BusConfigError(name, `expected comma-separated topic patterns (e.g. "credential.>,ttp.>"), got ${JSON.stringify(p)}`);
  }
  return [...new Set(list)];
}

const STREAM_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** A JetStream stream name: letters, digits, "_" and "-" (no ".", "*", ">", spaces). */
export function readStreamName(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim();
  if (!STREAM_NAME_RE.test(v)) throw new BusConfigError(name, `expected a stream name of 1-64 letters, digits, "_" or "-", got ${JSON.stringify(raw)}`);
  return v;
}

/** `$DECNET_HOME`, default `~/.decnet`. */
export function decnetHome(env: Env): string {
  const h = env.DECNET_HOME?.trim();
  return h ? h : join(homedir(), '.decnet');
}

/**
 * The broker socket (bus.md §3.1): DECNET_BUS_SOCKET, else /run/decnet/bus.sock
 * when /run/decnet is a writable directory, else $DECNET_HOME/bus.sock.
 */
export function resolveSocketPath(env: Env, explicit?: string): string {
  if (explicit) return explicit;
  const fromEnv = env.DECNET_BUS_SOCKET?.trim();
  if (fromEnv) return fromEnv;
  const run = '/run/decnet';
  try {
    if (existsSync(run)) {
      accessSync(run, constants.W_OK);
      return join(run, 'bus.sock');
    }
  } catch {
    // not writable: fall through to the home directory
  }
  return join(decnetHome(env), 'bus.sock');
}

export function readBusEnv(env: Env): BusEnv {
  const enabled = readBool(env, 'DECNET_BUS_ENABLED', true);
  const transport = enabled ? readChoice(env, 'DECNET_BUS_TYPE', TRANSPORTS, 'unix') : 'null';
  return {
    transport,
    socketPath: resolveSocketPath(env),
    natsUrl: env.DECNET_NATS_URL?.trim() || 'nats://127.0.0.1:4222',
    natsCreds: env.DECNET_NATS_CREDS?.trim() || undefined,
    natsToken: env.DECNET_NATS_TOKEN?.trim() || undefined,
    strict: readBool(env, 'DECNET_BUS_STRICT', false),
    offlineBuffer: readInt(env, 'DECNET_BUS_OFFLINE_BUFFER', 10_000, 0, 10_000_000),
    helloTimeoutMs: readInt(env, 'DECNET_BUS_HELLO_TIMEOUT_MS', 250, 1, 60_000),
    maxPendingBytes: readInt(env, 'DECNET_BUS_MAX_PENDING_BYTES', 8 * 1024 * 1024, 4096),
    maxPendingFrames: readInt(env, 'DECNET_BUS_MAX_PENDING_FRAMES', 65_536, 1),
    slowConsumerSecs: readInt(env, 'DECNET_BUS_SLOW_CONSUMER_SECS', 30, 1, 86_400),
    group: env.DECNET_BUS_GROUP?.trim() || undefined,
    durableTopics: readPatterns(env, 'DECNET_DURABLE_TOPICS', DEFAULT_DURABLE_PATTERNS),
    natsStream: readStreamName(env, 'DECNET_NATS_STREAM', DEFAULT_STREAM_NAME),
    natsStreamMaxAgeHours: readInt(env, 'DECNET_NATS_STREAM_MAX_AGE_HOURS', DEFAULT_STREAM_MAX_AGE_HOURS, 0, 24 * 365 * 100),
    natsStreamMaxBytes: readInt(env, 'DECNET_NATS_STREAM_MAX_BYTES', DEFAULT_STREAM_MAX_BYTES, 0),
    natsAckWaitSecs: readInt(env, 'DECNET_NATS_ACK_WAIT_SECS', DEFAULT_ACK_WAIT_SECS, 1, 86_400),
  };
}
