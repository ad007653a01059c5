/**
 * A connection's outbound queue in the broker (spec/bus.md §3.6, CORRECTIONS #3.4): the
 * frames that wait because the socket pushed back. Bounded in bytes AND in frames; when a
 * new frame does not fit, the oldest queued frames are dropped (the subscriber sees the
 * newest events) and counted.
 *
 * Only this queue can drop: a frame leaves it for the socket only while `write()` returns
 * true, and bytes already handed to Node's stream cannot be taken back.
 *
 * Frames are shared Buffers (one EVT frame for every receiver), so the queue holds
 * references and never copies. The backing array is a deque with a moving head, compacted
 * now and then, so `shift` is O(1) amortised.
 */
export class OutboundQueue {
  private items: Buffer[] = [];
  private head = 0;
  /** Bytes currently queued. */
  bytes = 0;
  /** Frames dropped to make room since the queue was created. */
  dropped = 0;

  constructor(
    /** Byte bound (bytes). */
    readonly maxBytes: number,
    /** Frame bound (frames). */
    readonly maxFrames: number,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    if (!Number.isSafeInteger(maxFrames) || maxFrames < 1) throw new RangeError(`maxFrames must be a positive integer, got ${maxFrames}`);
  }

  /** Frames currently queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /**
   * Appends `frame`, dropping the oldest frames until it fits. A frame larger than the
   * whole byte bound is itself dropped (after emptying the queue would not help it).
   * Returns the number of frames dropped by this call (0: nothing was lost).
   */
  push(frame: Buffer): number {
    if (frame.length > this.maxBytes) {
      this.dropped++;
      return 1;
    }
    let lost = 0;
    while (this.length > 0 && (this.length >= this.maxFrames || this.bytes + frame.length > this.maxBytes)) {
      this.dropOldest();
      lost++;
    }
    this.items.push(frame);
    this.bytes += frame.length;
    return lost;
  }

  /** The oldest frame, without removing it. */
  peek(): Buffer | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and returns the oldest frame. */
  shift(): Buffer | undefined {
    if (this.head >= this.items.length) return undefined;
    const f = this.items[this.head]!;
    this.take();
    this.bytes -= f.length;
    return f;
  }

  /** Forgets everything queued (the connection is gone); not counted as dropped. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }

  private dropOldest(): void {
    const f = this.items[this.head]!;
    this.take();
    this.bytes -= f.length;
    this.dropped++;
  }

  /** Advances the head, releasing the reference and compacting the array now and then. */
  private take(): void {
    (this.items as Array<Buffer | undefined>)[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
