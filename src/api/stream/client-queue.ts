/**
 * One SSE client's outgoing queue (eventplane.md §3.1). Frames go to the socket only
 * while `write()` returns true: bytes already inside Node's stream cannot be dropped,
 * so once it says false the queue holds frames until `drain`. The queue is bounded
 * (256 frames or 1 MiB); past the bound the **oldest** frames are dropped and counted,
 * and the next frame written is `event: gap` `{"dropped": N}`. A client that does not
 * drain within 30 s is cut (`onStall`). Nothing here waits on another client, so a slow
 * one never delays the others. Every timer runs on the injected clock.
 */
import type { Clock, TimerHandle } from '../../bus/index.js';
import { droppedGapFrame, KEEPALIVE_FRAME } from './frames.js';

/**
 * Where frames go: a `ServerResponse` in the API, anything stream-like in tests. A
 * frame shared by many clients comes as one Buffer, encoded once for all of them.
 */
export interface FrameSink {
  write(chunk: string | Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

export interface ClientQueueOptions {
  readonly clock: Clock;
  /** Most frames held while the client is not draining (default 256). */
  readonly maxFrames?: number;
  /** Most bytes held (default 1 MiB); a single larger frame is still kept alone. */
  readonly maxBytes?: number;
  /** Cut a client that has not drained for this long (ms, default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Send `: keepalive` after this long without a frame (ms, default 15 s). */
  readonly keepaliveMs?: number;
  /** Called once when the client stalled past the drain timeout; the owner disconnects it. */
  readonly onStall: () => void;
}

export const DEFAULT_MAX_FRAMES = 256;
export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;

interface Held {
  readonly chunk: string | Buffer;
  readonly bytes: number;
}

export class ClientQueue {
  private readonly frames: Held[] = [];
  private bytes = 0;
  /** Drops not yet announced by a gap frame. */
  private unannounced = 0;
  private droppedTotal = 0;
  private waitingDrain = false;
  private closed = false;
  private drainTimer: TimerHandle | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private lastWriteAt: number;
  private roomWaiters: Array<() => void> = [];
  private readonly maxFrames: number;
  private readonly maxBytes: number;
  private readonly drainTimeoutMs: number;
  private readonly keepaliveMs: number;
  private readonly clock: Clock;
  private readonly onDrain = (): void => this.drained();

  constructor(
    private readonly sink: FrameSink,
    private readonly opts: ClientQueueOptions,
  ) {
    this.clock = opts.clock;
    this.maxFrames = opts.maxFrames ?? DEFAULT_MAX_FRAMES;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.keepaliveMs = opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.lastWriteAt = this.clock.now();
    this.armKeepalive(this.keepaliveMs);
  }

  /** Frames dropped for this client so far (queue overflow and reported bus drops). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Frames waiting for the client to drain. */
  get pending(): number {
    return this.frames.length;
  }

  /** True while the socket said "full" and has not drained yet. */
  get backedUp(): boolean {
    return this.waitingDrain;
  }

  /** Queues a frame, dropping the oldest past the bound, and writes what the socket takes. */
  push(chunk: string | Buffer): void {
    if (this.closed) return;
    // the usual case, a client that keeps up: straight to the socket, nothing held
    if (!this.waitingDrain && this.unannounced === 0 && this.frames.length === 0) {
      this.writeNow(chunk);
      return;
    }
    const held: Held = { chunk, bytes: typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length };
    this.frames.push(held);
    this.bytes += held.bytes;
    while (this.frames.length > this.maxFrames || (this.bytes > this.maxBytes && this.frames.length > 1)) {
      const old = this.frames.shift() as Held;
      this.bytes -= old.bytes;
      this.noteDropped(1);
    }
    this.flush();
  }

  /** Counts frames lost before they reached this queue (e.g. a bus subscription's drops). */
  noteDropped(n: number): void {
    if (n <= 0) return;
    this.unannounced += n;
    this.droppedTotal += n;
  }

  /** Resolves once the socket is not backed up (at once if it is not); also when closed. */
  whenRoom(): Promise<void> {
    if (!this.waitingDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Stops writing and timers; queued frames are discarded. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.frames.length = 0;
    this.bytes = 0;
    this.clock.clearTimeout(this.drainTimer);
    this.clock.clearTimeout(this.keepaliveTimer);
    this.sink.removeListener('drain', this.onDrain);
    this.releaseWaiters();
  }

  private flush(): void {
    while (!this.closed && !this.waitingDrain) {
      let chunk: string | Buffer;
      if (this.unannounced > 0) {
        chunk = droppedGapFrame(this.unannounced);
        this.unannounced = 0;
      } else {
        const next = this.frames.shift();
        if (!next) return;
        this.bytes -= next.bytes;
        chunk = next.chunk;
      }
      this.writeNow(chunk);
    }
  }

  private writeNow(chunk: string | Buffer): void {
    this.lastWriteAt = this.clock.now();
    if (this.sink.write(chunk)) return;
    this.waitingDrain = true;
    this.sink.once('drain', this.onDrain);
    this.drainTimer = this.clock.setTimeout(() => {
      this.drainTimer = undefined;
      if (this.closed || !this.waitingDrain) return;
      this.close();
      this.opts.onStall();
    }, this.drainTimeoutMs);
  }

  private drained(): void {
    if (this.closed) return;
    this.waitingDrain = false;
    this.clock.clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.flush();
    if (!this.waitingDrain) this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * One timer per client, not one per frame: when it fires it checks how long the
   * client has been without a frame and either sends a keepalive or waits the rest.
   */
  private armKeepalive(ms: number): void {
    this.keepaliveTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      const quiet = this.clock.now() - this.lastWriteAt;
      if (quiet < this.keepaliveMs) {
        this.armKeepalive(this.keepaliveMs - quiet);
        return;
      }
      // a backed-up client gets frames as soon as it drains; a keepalive would only queue
      if (!this.waitingDrain) this.writeNow(KEEPALIVE_FRAME);
      else this.lastWriteAt = this.clock.now();
      this.armKeepalive(this.keepaliveMs);
    }, ms);
  }
}
