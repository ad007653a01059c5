/**
 * The host-local broker (spec/bus.md §3): a UNIX-socket server that wires connections, the
 * protocol handler, the router, the heartbeat and the socket file together, and owns the
 * lifecycle (§3.8): stop accepting, flush what is queued for up to 1 s, close connections,
 * unlink the socket.
 *
 * Seams for the NATS bridge (CORRECTIONS #4.7, #4.8), which runs in this process:
 * `inject` routes a pre-minted envelope (id and ts kept) to every matching connection
 * except its origin, and `attachLocal` subscribes an in-process listener.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import { decnetHome } from '../env.js';
import { RateLimitedLog, silentLogger, type Logger } from '../log.js';
import { Connection, type ConnectionHooks, type ConnectionLimits } from './connection.js';
import { BUS_CONTROL_TOPIC, BUS_HEALTH_TOPIC, DEFAULT_HEARTBEAT_MS, healthEnvelope, startHeartbeat, type Heartbeat } from './heartbeat.js';
import { BrokerProtocol } from './protocol.js';
import { Router } from './router.js';
import { BrokerStartError, prepareSocketPath, removeSocketFile, secureSocket, socketIdentity, type SocketIdentity } from './socket-path.js';
import { healthNow, statsBody, statsNow, type BrokerCounters, type BrokerStats, type StatsSource } from './stats.js';

/** Version reported in the v2 HELLO reply when the caller gives none. */
export const BROKER_VERSION = '0.1.0';

export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_PENDING_FRAMES = 65_536;
export const DEFAULT_SLOW_CONSUMER_MS = 30_000;
/** How long shutdown (and a BYE or a peer's EOF) waits for queued bytes to leave (ms). */
export const SHUTDOWN_FLUSH_MS = 1_000;

export interface BrokerOptions {
  socketPath: string;
  /** Group to chgrp the socket to (when it exists). */
  group?: string;
  /** Heartbeat interval (ms). Default 10 s. */
  heartbeatMs?: number;
  /** Per-connection outbound bound (bytes). Default 8 MiB. */
  maxPendingBytes?: number;
  /** Per-connection outbound bound (frames). Default 65,536. */
  maxPendingFrames?: number;
  /** A connection full for longer than this is cut (ms). Default 30 s. */
  slowConsumerMs?: number;
  clock?: Clock;
  log?: Logger;
  /** Aborting it shuts the broker down. */
  signal?: AbortSignal;
  /** `$DECNET_HOME`, where a missing socket directory may be created. Default from the environment. */
  home?: string;
  /** Server version for the HELLO reply. */
  version?: string;
  /** Most patterns one connection may hold. Default 65,536. */
  maxPatternsPerConnection?: number;
}

export interface Broker {
  /** The absolute socket path it listens on. */
  readonly socketPath: string;
  /** Heartbeat fields plus per-connection rows. */
  stats(): BrokerStats;
  /** Stops accepting, flushes queued frames (≤ 1 s), closes connections, unlinks the socket. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the broker has shut down, for whatever reason (close, signal, control stop). */
  readonly closed: Promise<void>;
  /** Routes a pre-minted envelope (kept byte for byte) to every matching receiver except `origin`. */
  inject(topic: string, envelope: Buffer, origin?: object): void;
  /** Adds a section (e.g. `bridge`) to stats() and the STATS reply. Returns its removal. */
  addStatsSection(name: string, read: () => Record<string, number>): () => void;
  /** An in-process listener; `origin` is the token its own injections carry. Returns detach. */
  attachLocal(pattern: string, onEnvelope: (topic: string, envelope: Buffer) => void, origin?: object): () => void;
}

function positive(name: string, v: number | undefined, fallback: number, integer: boolean): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isSafeInteger(v))) throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  return v;
}

/** The validated numeric options (RangeError on a bad one), before anything touches the filesystem. */
function resolveLimits(opts: BrokerOptions): ConnectionLimits & { heartbeatMs: number } {
  return {
    maxPendingBytes: positive('maxPendingBytes', opts.maxPendingBytes, DEFAULT_MAX_PENDING_BYTES, true),
    maxPendingFrames: positive('maxPendingFrames', opts.maxPendingFrames, DEFAULT_MAX_PENDING_FRAMES, true),
    slowConsumerMs: positive('slowConsumerMs', opts.slowConsumerMs, DEFAULT_SLOW_CONSUMER_MS, false),
    flushMs: SHUTDOWN_FLUSH_MS,
    heartbeatMs: positive('heartbeatMs', opts.heartbeatMs, DEFAULT_HEARTBEAT_MS, false),
  };
}

class BrokerServer implements Broker {
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private closing: Promise<void> | undefined;
  private readonly server: Server;
  private readonly router: Router;
  private readonly protocol: BrokerProtocol;
  private readonly connections = new Set<Connection>();
  private readonly counters: BrokerCounters = { dropped: 0, refused: 0 };
  private readonly sections = new Map<string, () => Record<string, number>>();
  private readonly statsSource: StatsSource;
  private readonly limits: ConnectionLimits & { readonly heartbeatMs: number };
  private readonly hooks: ConnectionHooks;
  private readonly clock: Clock;
  private readonly log: Logger;
  private nextId = 0;
  private heartbeat: Heartbeat | undefined;
  private detachControl: (() => void) | undefined;
  private identity: SocketIdentity | undefined;
  private readonly onAbort = (): void => void this.close();

  constructor(
    readonly socketPath: string,
    private readonly opts: BrokerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.limits = resolveLimits(opts);
    this.router = new Router({ clock: this.clock, log: this.log });
    this.statsSource = {
      clock: this.clock,
      pid: process.pid,
      startedAt: this.clock.now(),
      counters: this.counters,
      published: () => this.router.published,
      delivered: () => this.router.delivered,
      rows: () => this.rows(),
    };
    this.protocol = new BrokerProtocol({
      router: this.router,
      refusals: new RateLimitedLog(this.log, () => this.clock.now()),
      version: opts.version ?? BROKER_VERSION,
      statsBody: () => statsBody(this.stats()),
      onRefused: () => void this.counters.refused++,
      ...(opts.maxPatternsPerConnection === undefined ? {} : { maxPatterns: opts.maxPatternsPerConnection }),
    });
    this.hooks = {
      onFrame: (conn, frame) => this.protocol.onFrame(conn, frame),
      onFramingError: (conn, err) => this.protocol.framingError(conn, err),
      onDropped: (_conn, n) => void (this.counters.dropped += n),
      onClose: (conn, reason) => {
        this.connections.delete(conn);
        this.protocol.forget(conn);
        if (reason === 'slow_consumer') this.log.warn({ conn: conn.id, name: conn.name, dropped: conn.dropped }, 'disconnected a slow consumer (its queue stayed full)');
        else this.log.debug({ conn: conn.id, name: conn.name, reason }, 'bus connection closed');
      },
      onInternalError: (conn, err) => this.log.error({ err, conn: conn.id, name: conn.name }, 'bus connection failed unexpectedly; closed it'),
    };
    // half-open: a peer's EOF does not end our side before its queued frames are flushed
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  /** Binds, secures the socket file, starts the heartbeat and the control listener. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const msg = err.code === 'EADDRINUSE' ? `${this.socketPath} was bound by another process meanwhile` : `cannot listen on ${this.socketPath}: ${err.message}`;
        reject(new BrokerStartError(this.socketPath, msg));
      };
      this.server.once('error', onError);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    // only once bound: a listen error must not run a shutdown that unlinks someone else's socket
    this.server.on('error', (err) => {
      this.log.error({ err }, 'bus server error; shutting down');
      void this.close();
    });
    this.identity = await socketIdentity(this.socketPath);
    await secureSocket(this.socketPath, this.opts.group, this.log);
    this.detachControl = this.router.attachLocal(BUS_CONTROL_TOPIC, (_topic, envelope) => this.onControl(envelope));
    this.heartbeat = startHeartbeat({
      clock: this.clock,
      intervalMs: this.limits.heartbeatMs,
      log: this.log,
      beat: () => this.router.inject(BUS_HEALTH_TOPIC, healthEnvelope(healthNow(this.statsSource)), undefined, false),
    });
    const signal = this.opts.signal;
    if (signal) {
      if (signal.aborted) void this.close();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  stats(): BrokerStats {
    const base = statsNow(this.statsSource);
    if (this.sections.size === 0) return base;
    return { ...base, extensions: Object.fromEntries([...this.sections].map(([name, read]) => [name, read()])) };
  }

  addStatsSection(name: string, read: () => Record<string, number>): () => void {
    this.sections.set(name, read);
    return () => this.sections.delete(name);
  }

  inject(topic: string, envelope: Buffer, origin?: object): void {
    this.router.inject(topic, envelope, origin);
  }

  attachLocal(pattern: string, onEnvelope: (topic: string, envelope: Buffer) => void, origin?: object): () => void {
    return this.router.attachLocal(pattern, onEnvelope, origin);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private *rows(): Iterable<ReturnType<Connection['row']>> {
    for (const c of this.connections) yield c.row();
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const conn = new Connection(++this.nextId, socket, this.limits, this.clock, this.hooks);
    this.connections.add(conn);
    this.log.debug({ conn: conn.id }, 'bus connection opened');
  }

  /** `{action:"stop"}` on system.bus.control: the same shutdown as SIGTERM (CORRECTIONS #3.6). */
  private onControl(envelope: Buffer): void {
    let payload: unknown;
    try {
      payload = (JSON.parse(envelope.toString('utf8')) as { payload?: unknown }).payload;
    } catch {
      return;
    }
    const p = payload as { action?: unknown; requested_by?: unknown } | undefined;
    if (p?.action !== 'stop') {
      this.log.debug({ action: p?.action }, 'ignoring a bus control action other than stop');
      return;
    }
    this.log.info({ requested_by: p.requested_by }, 'stop requested on system.bus.control; shutting down');
    // after the current routing pass, so the stop event still reaches its other subscribers
    queueMicrotask(() => void this.close());
  }

  private async shutdown(): Promise<void> {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.heartbeat?.stop();
    this.detachControl?.();
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.end('shutdown');
    await serverClosed;
    if (this.identity) await removeSocketFile(this.socketPath, this.identity);
    this.log.info({ path: this.socketPath }, 'bus broker stopped');
    this.resolveClosed();
  }
}

/**
 * Starts a broker on `opts.socketPath` (spec/bus.md §3). Rejects with a BrokerStartError
 * when the path is too long, its directory is missing outside $DECNET_HOME, a broker
 * already answers there, or something other than a stale socket is in the way.
 */
export async function startBroker(opts: BrokerOptions): Promise<Broker> {
  resolveLimits(opts);
  const log = opts.log ?? silentLogger;
  const path = await prepareSocketPath(opts.socketPath, { home: opts.home ?? decnetHome(process.env), log });
  const broker = new BrokerServer(path, opts);
  await broker.start();
  log.info({ path, pid: process.pid }, 'bus broker listening');
  return broker;
}
