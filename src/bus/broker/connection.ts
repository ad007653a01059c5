/**
 * One client connection of the broker: its socket, its frame decoder, its protocol state
 * (v1/v2, HELLO name, pattern set), and its bounded outbound queue (spec/bus.md §3.6,
 * CORRECTIONS #3.4). No parsing here (the codec does it) and no verb semantics (the
 * protocol handler does them): this class moves bytes and enforces the bounds.
 *
 * Writing: a frame goes straight to the socket while `write()` keeps returning true
 * (corked for the rest of the tick, so a burst leaves in one writev). Once `write()`
 * returns false, frames wait in the OutboundQueue until `drain`; when that queue is full
 * its oldest frames are dropped and counted. Bytes in Node's own stream buffer are never
 * more than its high-water mark plus one frame.
 *
 * Slow consumer: the connection is "full" from the first frame its queue drops until the
 * queue is empty again; full for longer than `slowConsumerMs` → disconnected.
 */
import type { Socket } from 'node:net';
import { FrameDecoder, type Frame } from '../codec/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { ProtocolError } from '../errors.js';
import { OutboundQueue } from './outbound-queue.js';
import type { Receiver, RoutedEvent } from './router.js';

export interface ConnectionLimits {
  /** Outbound queue bound (bytes). */
  readonly maxPendingBytes: number;
  /** Outbound queue bound (frames). */
  readonly maxPendingFrames: number;
  /** Full for longer than this → disconnected (ms). */
  readonly slowConsumerMs: number;
  /** How long a graceful close (EOF from the peer, BYE, shutdown) waits for queued bytes to leave (ms). */
  readonly flushMs: number;
}

/** Why a connection ended; reported once, to `onClose`. */
export type CloseReason = 'eof' | 'bye' | 'framing' | 'slow_consumer' | 'socket_error' | 'shutdown';

export interface ConnectionHooks {
  /** A decoded frame. Throwing a ProtocolError closes this connection (a framing error). */
  onFrame(conn: Connection, frame: Frame): void;
  /** The connection made a framing error (decoder or verb); it is being closed. */
  onFramingError(conn: Connection, err: ProtocolError): void;
  /** `n` queued frames were dropped to make room. */
  onDropped(conn: Connection, n: number): void;
  /** The socket is gone; called exactly once. */
  onClose(conn: Connection, reason: CloseReason): void;
  /** Something unexpected (a bug, not bad input); the connection is closed. */
  onInternalError(conn: Connection, err: unknown): void;
}

/** A per-connection row of `stats()` / `STATS` (CORRECTIONS #3.2). */
export interface ConnectionRow {
  readonly id: number;
  readonly name: string;
  readonly proto: 1 | 2;
  readonly patterns: number;
  readonly queued_bytes: number;
  readonly queued_frames: number;
  readonly dropped: number;
  readonly refused: number;
}

const OPEN = 0;
const CLOSING = 1; // no more input; flushing what is queued
const CLOSED = 2;

export class Connection implements Receiver {
  /** HELLO's args; '' until a HELLO names the connection. */
  name = '';
  /** 2 once a HELLO `{"proto":2}` was answered. */
  proto: 1 | 2 = 1;
  /** Patterns this connection subscribed (each routed once in the router). */
  readonly patterns = new Set<string>();
  /** Refusals charged to this connection (semantic refusals and its framing error). */
  refused = 0;
  routeSeq = 0;

  private readonly decoder: FrameDecoder;
  private readonly queue: OutboundQueue;
  private state = OPEN;
  private closeReason: CloseReason = 'eof';
  private blocked = false; // write() returned false; waiting for 'drain'
  private ending = false; // socket.end() was called: nothing more may be written
  private corked = false;
  private fullTimer: TimerHandle | undefined;
  private endTimer: TimerHandle | undefined;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly clock: Clock,
    private readonly hooks: ConnectionHooks,
  ) {
    this.queue = new OutboundQueue(limits.maxPendingBytes, limits.maxPendingFrames);
    this.decoder = new FrameDecoder((frame) => {
      if (this.state === OPEN) this.hooks.onFrame(this, frame);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => this.destroy('socket_error'));
    socket.on('close', () => this.onSocketClose());
  }

  get origin(): object {
    return this;
  }

  /** Frames dropped from this connection's queue since it opened. */
  get dropped(): number {
    return this.queue.dropped;
  }

  row(): ConnectionRow {
    return {
      id: this.id,
      name: this.name,
      proto: this.proto,
      patterns: this.patterns.size,
      queued_bytes: this.queue.bytes,
      queued_frames: this.queue.length,
      dropped: this.queue.dropped,
      refused: this.refused,
    };
  }

  deliver(ev: RoutedEvent): void {
    this.send(ev.frame);
  }

  /** Queues or writes one whole frame; never blocks, may drop the oldest queued frames. */
  send(frame: Buffer): void {
    if (this.state === CLOSED || this.ending) return;
    if (this.blocked || this.queue.length > 0) {
      const lost = this.queue.push(frame);
      if (lost > 0) this.onFull(lost);
      return;
    }
    this.write(frame);
  }

  /**
   * Graceful close (EOF, BYE, broker shutdown): reads nothing more, flushes what is
   * queued, ends the socket; destroyed after `flushMs` if the peer does not take the bytes.
   */
  end(reason: CloseReason): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.closeReason = reason;
    this.socket.pause();
    this.endTimer = this.clock.setTimeout(() => this.destroy(reason), this.limits.flushMs);
    this.maybeFinish();
  }

  /** Closes now, dropping whatever is queued. Idempotent. */
  destroy(reason: CloseReason): void {
    if (this.state === CLOSED) return;
    if (this.state === OPEN) this.closeReason = reason;
    this.state = CLOSED;
    this.clearTimers();
    this.queue.clear();
    this.socket.destroy();
  }

  private write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    if (!this.socket.write(frame)) this.blocked = true;
  }

  private onData(chunk: Buffer): void {
    if (this.state !== OPEN) return;
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.failed(err);
    }
  }

  /**
   * The peer is done writing. Mid-frame that is a framing error; otherwise what is queued
   * for it (a STATS reply, say) is flushed before our side closes too. The server runs
   * with allowHalfOpen so that Node does not end our side before that.
   */
  private onEnd(): void {
    if (this.state !== OPEN) return;
    try {
      this.decoder.end();
    } catch (err) {
      this.failed(err);
      return;
    }
    this.end('eof');
  }

  private failed(err: unknown): void {
    if (this.state === CLOSED) return;
    if (err instanceof ProtocolError) {
      this.refused++;
      this.hooks.onFramingError(this, err);
      this.destroy('framing');
    } else {
      this.hooks.onInternalError(this, err);
      this.destroy('socket_error');
    }
  }

  private onDrain(): void {
    if (this.state === CLOSED) return;
    this.blocked = false;
    while (!this.blocked) {
      const f = this.queue.shift();
      if (f === undefined) break;
      this.write(f);
    }
    if (this.queue.length === 0) this.leaveFull();
    this.maybeFinish();
  }

  private onFull(lost: number): void {
    this.hooks.onDropped(this, lost);
    if (this.fullTimer === undefined) {
      this.fullTimer = this.clock.setTimeout(() => {
        this.fullTimer = undefined;
        this.destroy('slow_consumer');
      }, this.limits.slowConsumerMs);
    }
  }

  private leaveFull(): void {
    if (this.fullTimer !== undefined) {
      this.clock.clearTimeout(this.fullTimer);
      this.fullTimer = undefined;
    }
  }

  /** While closing: once everything queued is in the socket, end it; destroy once flushed. */
  private maybeFinish(): void {
    if (this.state !== CLOSING || this.ending || this.blocked || this.queue.length > 0) return;
    this.ending = true;
    if (this.corked) this.uncork();
    // 'finish': every byte is in the kernel (a UNIX socket's bytes are then in the peer's
    // receive queue), so the fd can go without waiting for the peer to close its side
    this.socket.end(() => this.destroy(this.closeReason));
  }

  private clearTimers(): void {
    this.leaveFull();
    if (this.endTimer !== undefined) {
      this.clock.clearTimeout(this.endTimer);
      this.endTimer = undefined;
    }
  }

  private onSocketClose(): void {
    const reason = this.closeReason;
    this.state = CLOSED;
    this.clearTimers();
    this.queue.clear();
    this.hooks.onClose(this, reason);
  }
}
