/**
 * The client's bounded offline buffer (spec/bus.md §4.1): frames written while
 * the broker is away (or the socket pushes back) wait here, in order; past the
 * bound the oldest are dropped and counted.
 */
export class Outbox {
  private frames: Buffer[] = [];
  private head = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.frames.length - this.head;
  }

  /** Returns false when a frame had to be dropped to make room (or capacity is 0). */
  push(frame: Buffer): boolean {
    if (this.capacity === 0) {
      this.dropped++;
      return false;
    }
    let kept = true;
    if (this.length >= this.capacity) {
      this.head++;
      this.dropped++;
      kept = false;
    }
    this.frames.push(frame);
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return kept;
  }

  shift(): Buffer | undefined {
    if (this.head >= this.frames.length) return undefined;
    const f = this.frames[this.head];
    this.frames[this.head] = Buffer.alloc(0);
    this.head++;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    }
    return f;
  }
}
