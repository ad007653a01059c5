/**
 * The unix transport: a client of the host-local broker (spec/bus.md §3–§4).
 *
 * - Lazy connect; HELLO `{"proto":2}` and every SUB go out at once, publishes are
 *   never delayed. The broker's HELLO switches the connection to v2 (SUBOK, ERR,
 *   PING/PONG); without one within the hello timeout it is a v1 broker
 *   (CORRECTIONS #3.5). Before that is settled only HELLO, SUB and PUB are sent.
 * - Own events are delivered locally (the broker never echoes).
 * - Lost connection: reconnect forever with backoff, re-send HELLO and every SUB,
 *   then flush the bounded offline buffer in order.
 */
import net from 'node:net';
import { BaseBus, type BusOptions } from '../base-bus.js';
import { encodeFrame, FrameDecoder, type Frame } from '../codec/index.js';
import { BusConfigError, TopicError } from '../errors.js';
import type { TimerHandle } from '../clock.js';
import { RateLimitedLog } from '../log.js';
import type { PreparedEvent } from '../prepare.js';
import { MAX_SOCKET_PATH_BYTES } from '../env.js';
import { Backoff } from './backoff.js';
import { Outbox } from './outbox.js';


export interface UnixBusOptions extends BusOptions {
  readonly socketPath: string;
  /** ms to wait for the broker's HELLO before treating it as v1. */
  readonly helloTimeoutMs?: number;
  /** Events kept while the broker is away. */
  readonly offlineBuffer?: number;
  /** v2: ms of silence before a PING. */
  readonly pingIdleMs?: number;
  /** v2: ms to wait for anything after a PING before reconnecting. */
  readonly pongTimeoutMs?: number;
  readonly backoff?: Backoff;
}

type Proto = 'negotiating' | 'v1' | 'v2';

interface AckWaiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class UnixBus extends BaseBus {
  readonly transport = 'unix' as const;
  readonly socketPath: string;
  private readonly helloTimeoutMs: number;
  private readonly pingIdleMs: number;
  private readonly pongTimeoutMs: number;
  private readonly backoff: Backoff;
  private readonly outbox: Outbox;
  private readonly refusals: RateLimitedLog;

  private socket: net.Socket | undefined;
  private proto: Proto = 'negotiating';
  private writable = false;
  private stopping = false;
  /** Frames that must wait until the protocol version is settled (UNSUB). */
  private deferred: Buffer[] = [];
  private readonly acks = new Map<string, AckWaiter[]>();
  private lastInbound = 0;
  private helloTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private pongTimer: TimerHandle | undefined;
  private redialTimer: TimerHandle | undefined;

  constructor(opts: UnixBusOptions) {
    super(opts);
    if (Buffer.byteLength(opts.socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new BusConfigError('DECNET_BUS_SOCKET', `socket path is ${Buffer.byteLength(opts.socketPath)} bytes; the limit is ${MAX_SOCKET_PATH_BYTES}: ${opts.socketPath}`);
    }
    this.socketPath = opts.socketPath;
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 250;
    this.pingIdleMs = opts.pingIdleMs ?? 15_000;
    this.pongTimeoutMs = opts.pongTimeoutMs ?? 10_000;
    this.backoff = opts.backoff ?? new Backoff();
    this.outbox = new Outbox(opts.offlineBuffer ?? 10_000);
    this.refusals = new RateLimitedLog(this.log, () => this.clock.now());
  }

  /** The negotiated protocol of the current connection. */
  get protocol(): Proto {
    return this.proto;
  }

  protected start(): void {
    this.dial();
  }

  private dial(): void {
    this.redialTimer = undefined;
    if (this.stopping) return;
    const sock = net.createConnection(this.socketPath);
    this.socket = sock;
    const decoder = new FrameDecoder((frame) => this.onFrame(frame));
    sock.on('connect', () => this.onConnect(sock));
    sock.on('data', (chunk: Buffer) => {
      if (sock !== this.socket) return;
      this.lastInbound = this.clock.now();
      try {
        decoder.push(chunk);
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'bad frame from the broker; reconnecting');
        sock.destroy();
      }
    });
    sock.on('drain', () => {
      if (sock === this.socket) this.flush();
    });
    sock.on('error', (err) => this.log.debug({ err: err.message, socket: this.socketPath }, 'bus socket error'));
    sock.on('close', () => this.onDisconnect(sock));
  }

  private onConnect(sock: net.Socket): void {
    if (sock !== this.socket) return;
    this.backoff.reset();
    this.proto = 'negotiating';
    this.deferred = [];
    this.writable = true;
    this.lastInbound = this.clock.now();
    this.write(encodeFrame('HELLO', this.name.replace(/[^\x20-\x7e]/g, '?').slice(0, 200), '{"proto":2}'));
    for (const pattern of this.routedPatterns()) this.write(encodeFrame('SUB', pattern));
    this.helloTimer = this.clock.setTimeout(() => this.settle('v1'), this.helloTimeoutMs);
    this.setState('connected');
    this.flush();
  }

  private onDisconnect(sock: net.Socket): void {
    if (sock !== this.socket) return;
    this.socket = undefined;
    this.writable = false;
    this.clearTimers();
    if (this.stopping) return;
    if (this.state === 'connected') this.setState('reconnecting');
    this.redialTimer = this.clock.setTimeout(() => this.dial(), this.backoff.next());
  }

  private clearTimers(): void {
    for (const t of [this.helloTimer, this.idleTimer, this.pongTimer]) this.clock.clearTimeout(t);
    this.helloTimer = this.idleTimer = this.pongTimer = undefined;
  }

  /** The protocol version is known: release what waited on it. */
  private settle(proto: 'v1' | 'v2'): void {
    if (this.proto !== 'negotiating') return;
    this.clock.clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    this.proto = proto;
    if (proto === 'v1') {
      // v1 has no SUBOK: a written SUB is as routed as we can know
      for (const pattern of [...this.acks.keys()]) this.resolveAcks(pattern);
    } else {
      this.armIdle();
    }
    const held = this.deferred;
    this.deferred = [];
    for (const f of held) this.write(f);
  }

  private onFrame(frame: Frame): void {
    switch (frame.verb) {
      case 'EVT':
        this.onEvt(frame);
        return;
      case 'HELLO':
        this.settle('v2');
        return;
      case 'SUBOK':
        this.resolveAcks(frame.args);
        return;
      case 'ERR':
        this.onErr(frame);
        return;
      case 'BYE':
        this.socket?.destroy();
        return;
      default:
        return; // PONG and STATS only prove liveness here
    }
  }

  private onEvt(frame: Frame): void {
    try {
      this.deliverLocal(frame.args, frame.body.toString('utf8'));
    } catch (err) {
      this.refusals.warn('evt', { err: err instanceof Error ? err.message : String(err), topic: frame.args }, 'undecodable EVT body from the broker; dropped');
    }
  }

  private onErr(frame: Frame): void {
    let body: { message?: unknown; pattern?: unknown; topic?: unknown } = {};
    try {
      body = JSON.parse(frame.body.toString('utf8') || '{}') as typeof body;
    } catch {
      // an unreadable ERR body still counts as a refusal
    }
    const message = typeof body.message === 'string' ? body.message : frame.args;
    if (frame.args === 'bad_pattern' && typeof body.pattern === 'string') {
      const waiters = this.acks.get(body.pattern) ?? [];
      this.acks.delete(body.pattern);
      for (const w of waiters) w.reject(new TopicError(body.pattern, `refused by the broker: ${message}`));
      return;
    }
    this.counters.refused++;
    this.refusals.warn(frame.args, { code: frame.args, topic: body.topic, message }, 'the broker refused a publish');
  }

  private armIdle(): void {
    this.clock.clearTimeout(this.idleTimer);
    const quietFor = this.clock.now() - this.lastInbound;
    this.idleTimer = this.clock.setTimeout(() => this.onIdle(), Math.max(0, this.pingIdleMs - quietFor));
  }

  /** v2 liveness: after pingIdleMs of silence send PING; nothing back within pongTimeoutMs → reconnect. */
  private onIdle(): void {
    this.idleTimer = undefined;
    const sock = this.socket;
    if (!sock || this.proto !== 'v2') return;
    if (this.clock.now() - this.lastInbound < this.pingIdleMs) {
      this.armIdle();
      return;
    }
    const pingedAt = this.clock.now();
    this.write(encodeFrame('PING'));
    this.pongTimer = this.clock.setTimeout(() => {
      this.pongTimer = undefined;
      if (sock !== this.socket) return;
      if (this.lastInbound <= pingedAt) {
        this.log.warn({ socket: this.socketPath }, 'broker silent after PING; reconnecting');
        sock.destroy();
      } else {
        this.armIdle();
      }
    }, this.pongTimeoutMs);
  }

  private resolveAcks(pattern: string): void {
    const waiters = this.acks.get(pattern);
    if (!waiters) return;
    this.acks.delete(pattern);
    for (const w of waiters) w.resolve();
  }

  /** Writes a control frame now if connected (routing frames are re-sent on reconnect). */
  private write(frame: Buffer): void {
    const sock = this.socket;
    if (!sock || !this.writable) {
      if (sock && this.state === 'connected') this.outbox.push(frame);
      return;
    }
    if (!sock.write(frame)) this.writable = false;
  }

  private flush(): void {
    const sock = this.socket;
    if (!sock || sock.connecting) return;
    this.writable = true;
    while (this.writable && this.outbox.length > 0) {
      const f = this.outbox.shift() as Buffer;
      if (!sock.write(f)) this.writable = false;
    }
  }

  protected send(event: PreparedEvent): void {
    this.deliverLocal(event.topic, event.envelopeJson);
    const frame = encodeFrame('PUB', event.topic, event.envelopeJson);
    if (this.socket && this.writable && this.outbox.length === 0) {
      if (!this.socket.write(frame)) this.writable = false;
      return;
    }
    if (!this.outbox.push(frame)) this.counters.dropped_offline++;
  }

  protected route(pattern: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiters = this.acks.get(pattern) ?? [];
      waiters.push({ resolve, reject });
      this.acks.set(pattern, waiters);
      if (!this.socket || this.socket.connecting) return; // sent with the others on connect
      this.write(encodeFrame('SUB', pattern));
      if (this.proto === 'v1') this.resolveAcks(pattern);
    });
  }

  protected unroute(pattern: string): void {
    this.resolveAcks(pattern); // nobody waits for a pattern that is gone
    if (!this.socket || this.socket.connecting) return; // not re-sent on reconnect
    const frame = encodeFrame('UNSUB', pattern);
    if (this.proto === 'negotiating') this.deferred.push(frame);
    else this.write(frame);
  }

  protected async shutdown(): Promise<void> {
    this.stopping = true;
    this.clock.clearTimeout(this.redialTimer);
    this.clearTimers();
    const sock = this.socket;
    if (!sock || sock.connecting || sock.destroyed) {
      this.counters.dropped_offline += this.outbox.length; // the broker is away: nothing can be flushed
      sock?.destroy();
      return;
    }
    // Node writes what is queued before the FIN; give it at most 1 s
    await new Promise<void>((resolve) => {
      const cap = setTimeout(() => {
        sock.destroy();
        resolve();
      }, 1000);
      cap.unref();
      sock.once('close', () => {
        clearTimeout(cap);
        resolve();
      });
      // past backpressure now: Node queues the rest, bounded by the outbox
      for (let f = this.outbox.shift(); f; f = this.outbox.shift()) sock.write(f);
      sock.end(encodeFrame('BYE'));
    });
  }
}
