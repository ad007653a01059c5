/**
 * `decnet bus`: run the host-local broker until SIGTERM/SIGINT (or `{action:"stop"}` on
 * `system.bus.control`), then shut down cleanly and exit 0 (spec/bus.md §3, §3.8).
 * `decnet bus stats`: ask a running broker for its figures over protocol v2 (`STATS`,
 * CORRECTIONS #3.2); no answer within 2 s, or a v1-only broker, fails in one line (exit 3).
 */
import { connect } from 'node:net';
import type { Command } from 'commander';
import { pino } from 'pino';
import { BROKER_VERSION, BrokerStartError, startBroker, type BrokerStats, type ConnectionRow } from '../bus/broker/index.js';
import { encodeFrame, FrameDecoder, type Frame } from '../bus/codec/index.js';
import { bridgeSettings, startBridge } from '../bus/bridge/index.js';
import { BusConfigError, TopicError } from '../bus/errors.js';
import { readBusEnv, resolveSocketPath, type BusEnv } from '../bus/env.js';
import { CliExit, EXIT_FAILURE, EXIT_NO_BUS, EXIT_USAGE } from './exit.js';

/** How long `decnet bus stats` waits for each answer (ms). */
export const STATS_TIMEOUT_MS = 2000;

const MAX_HEARTBEAT_SECS = 86_400;

interface RunOptions {
  socket?: string;
  group?: string;
  heartbeat?: string;
  bridge?: string;
  export?: string[];
  import?: string[];
}

interface StatsOptions {
  socket?: string;
  json?: boolean;
}

function busEnv(): BusEnv {
  try {
    return readBusEnv(process.env);
  } catch (err) {
    if (err instanceof BusConfigError) throw new CliExit(EXIT_USAGE, err.message);
    throw err;
  }
}

function socketOption(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw new CliExit(EXIT_USAGE, '--socket needs a path');
  return raw;
}

function heartbeatMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_HEARTBEAT_SECS) {
    throw new CliExit(EXIT_USAGE, `--heartbeat must be a number of seconds in (0, ${MAX_HEARTBEAT_SECS}], got ${JSON.stringify(raw)}`);
  }
  return n * 1000;
}

/** `--bridge URL --export P… --import P…` (bus.md §5), checked before the broker starts. */
function bridgeOptions(opts: RunOptions): ReturnType<typeof bridgeSettings> | undefined {
  if (opts.bridge === undefined) {
    if (opts.export?.length || opts.import?.length) throw new CliExit(EXIT_USAGE, '--export and --import need --bridge URL');
    return undefined;
  }
  try {
    return bridgeSettings({ url: opts.bridge, exports: opts.export ?? [], imports: opts.import ?? [] }, process.env);
  } catch (err) {
    if (err instanceof BusConfigError || err instanceof TopicError) throw new CliExit(EXIT_USAGE, err.message);
    throw err;
  }
}

async function runBroker(opts: RunOptions, version: string): Promise<void> {
  const env = busEnv();
  const bridging = bridgeOptions(opts);
  const socketPath = resolveSocketPath(process.env, socketOption(opts.socket));
  const group = opts.group !== undefined ? opts.group.trim() || undefined : env.group;
  const hb = heartbeatMs(opts.heartbeat);
  // JSON lines on stderr; DECNET_LOG_LEVEL=info shows the lifecycle, warn (default) only trouble
  const log = pino({ level: process.env.DECNET_LOG_LEVEL ?? 'warn', base: { worker: 'bus', pid: process.pid } }, pino.destination(2));
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  // listen before starting: a signal during start-up still ends in a clean shutdown
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const broker = await startBroker({
      socketPath,
      ...(group === undefined ? {} : { group }),
      ...(hb === undefined ? {} : { heartbeatMs: hb }),
      maxPendingBytes: env.maxPendingBytes,
      maxPendingFrames: env.maxPendingFrames,
      slowConsumerMs: env.slowConsumerSecs * 1000,
      log,
      signal: stop.signal,
      version,
    });
    process.stderr.write(`decnet bus: listening on ${broker.socketPath} (pid ${process.pid})\n`);
    // the bridge runs in this process, on the broker's in-process seams (CORRECTIONS #4.8)
    const bridge = bridging && startBridge({ ...bridging, broker, log });
    if (bridge) {
      broker.addStatsSection('bridge', () => {
        const { exported, imported, skipped_too_large, loops_prevented, duplicates, refused, dropped_offline, buffered } = bridge.stats();
        return { exported, imported, skipped_too_large, loops_prevented, duplicates, refused, dropped_offline, buffered };
      });
      process.stderr.write(`decnet bus: bridging to ${opts.bridge ?? ''} as ${bridge.id}\n`);
    }
    await broker.closed;
    await bridge?.close(); // flushes exports (≤ 1 s)
  } catch (err) {
    if (err instanceof BrokerStartError) throw new CliExit(EXIT_FAILURE, err.message);
    throw err;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** Connects, negotiates v2, sends STATS; resolves with the parsed reply. */
export function fetchStats(socketPath: string, timeoutMs = STATS_TIMEOUT_MS): Promise<BrokerStats> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let phase: 'connect' | 'hello' | 'stats' | 'done' = 'connect';
    let timer: NodeJS.Timeout | undefined;
    const fail = (code: number, message: string): void => {
      phase = 'done';
      clearTimeout(timer);
      sock.destroy();
      reject(new CliExit(code, message));
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (phase === 'connect') fail(EXIT_NO_BUS, `no broker answers at ${socketPath} within ${timeoutMs / 1000} s (is \`decnet bus\` running?)`);
        else if (phase === 'hello') fail(EXIT_NO_BUS, `the broker at ${socketPath} did not answer HELLO within ${timeoutMs / 1000} s: it speaks protocol v1 only, and stats need v2`);
        else fail(EXIT_NO_BUS, `the broker at ${socketPath} did not answer STATS within ${timeoutMs / 1000} s`);
      }, timeoutMs);
    };
    const onFrame = (f: Frame): void => {
      if (phase === 'hello' && f.verb === 'HELLO') {
        phase = 'stats';
        arm();
        sock.write(encodeFrame('STATS'));
      } else if (phase === 'stats' && f.verb === 'STATS') {
        clearTimeout(timer);
        phase = 'done';
        let stats: BrokerStats;
        try {
          stats = JSON.parse(f.body.toString('utf8')) as BrokerStats;
        } catch {
          fail(EXIT_FAILURE, `the broker at ${socketPath} sent a STATS body that is not JSON`);
          return;
        }
        sock.end(encodeFrame('BYE'));
        resolve(stats);
      }
    };
    const decoder = new FrameDecoder(onFrame);
    arm();
    sock.on('connect', () => {
      phase = 'hello';
      arm();
      sock.write(encodeFrame('HELLO', 'decnet-bus-stats', JSON.stringify({ proto: 2 })));
    });
    sock.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        fail(EXIT_FAILURE, `the broker at ${socketPath} sent a bad frame: ${(err as Error).message}`);
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (phase === 'connect') fail(EXIT_NO_BUS, `no broker answers at ${socketPath} (${err.code ?? err.message}; is \`decnet bus\` running?)`);
      else fail(EXIT_NO_BUS, `lost the broker at ${socketPath}: ${err.message}`);
    });
    sock.on('close', () => {
      if (phase === 'hello') fail(EXIT_NO_BUS, `the broker at ${socketPath} closed the connection without answering HELLO: it speaks protocol v1 only, and stats need v2`);
      else if (phase === 'stats') fail(EXIT_NO_BUS, `the broker at ${socketPath} closed the connection before answering STATS`);
    });
  });
}

/** Seconds as `1h 02m 03s` / `2m 03s` / `3.4s`. */
function duration(secs: number): string {
  if (secs < 60) return `${secs.toFixed(1)}s`;
  const s = Math.floor(secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s % 60)}s` : `${m}m ${pad(s % 60)}s`;
}

/** The readable summary of `decnet bus stats`. */
export function formatStats(stats: BrokerStats, socketPath: string): string {
  const lines = [
    `broker on ${socketPath}: pid ${stats.pid}, up ${duration(stats.uptime_sec)}`,
    `connections ${stats.connections}  subscriptions ${stats.subscriptions}`,
    `published ${stats.published}  delivered ${stats.delivered}  dropped ${stats.dropped}  refused ${stats.refused}`,
  ];
  const rows: readonly ConnectionRow[] = stats.per_connection ?? [];
  if (rows.length > 0) {
    const table = [
      ['NAME', 'PROTO', 'PATTERNS', 'QUEUED_BYTES', 'QUEUED_FRAMES', 'DROPPED', 'REFUSED'],
      ...rows.map((r) => [r.name === '' ? '(unnamed)' : r.name, `v${r.proto}`, r.patterns, r.queued_bytes, r.queued_frames, r.dropped, r.refused].map(String)),
    ];
    const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
    lines.push('');
    for (const row of table) lines.push(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
    if (stats.per_connection_truncated) lines.push('(more connections not shown)');
  }
  for (const [section, figures] of Object.entries(stats.extensions ?? {})) {
    lines.push('', `${section}: ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join('  ')}`);
  }
  return lines.join('\n');
}

async function runStats(opts: StatsOptions): Promise<void> {
  busEnv(); // a bad bus setting is a usage error here too
  const socketPath = resolveSocketPath(process.env, socketOption(opts.socket));
  const stats = await fetchStats(socketPath);
  process.stdout.write(opts.json ? `${JSON.stringify(stats)}\n` : `${formatStats(stats, socketPath)}\n`);
}

export function registerBus(program: Command): void {
  const bus = program
    .command('bus')
    .description('run the host-local event broker on a UNIX socket until SIGTERM/SIGINT')
    .option('--socket <path>', 'socket path (default: $DECNET_BUS_SOCKET, else /run/decnet/bus.sock if writable, else $DECNET_HOME/bus.sock)')
    .option('--group <name>', 'group the socket file is given to (default: $DECNET_BUS_GROUP)')
    .option('--heartbeat <secs>', 'seconds between system.bus.health beats (default: 10)')
    .option('--bridge <url>', 'also forward events between this broker and NATS (nats://HOST:4222)')
    .option('--export <patterns...>', 'with --bridge: local patterns forwarded to NATS')
    .option('--import <patterns...>', 'with --bridge: NATS patterns forwarded to this broker')
    .action((opts: RunOptions) => runBroker(opts, program.version() ?? BROKER_VERSION));
  bus
    .command('stats')
    .description("print a running broker's figures and one row per connection")
    .option('--socket <path>', 'socket path (default: as for `decnet bus`)')
    .option('--json', 'print the figures as one JSON object')
    .action((_opts: StatsOptions, cmd: Command) => runStats(cmd.optsWithGlobals<StatsOptions>()));
}
