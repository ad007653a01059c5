/**
 * Live-only inputs (ttp.md §6.3 step 4) arrive one event at a time: collect them into
 * micro-batches of 100 inputs or 50 ms, whichever comes first, and hand each batch on in
 * order — one transaction per batch rather than one per event.
 */
import type { Clock } from '../../bus/index.js';
import type { Input } from '../inputs/index.js';

export class LiveBatcher {
  private pending: Input[] = [];
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private chain = Promise.resolve();

  constructor(
    private readonly handle: (inputs: Input[]) => Promise<void>,
    private readonly clock: Clock,
    private readonly maxInputs = 100,
    private readonly maxWaitMs = 50,
  ) {}

  add(inputs: readonly Input[]): void {
    this.pending.push(...inputs);
    if (this.pending.length >= this.maxInputs) this.flush();
    else if (this.timer === undefined && this.pending.length > 0) this.timer = this.clock.setTimeout(() => this.flush(), this.maxWaitMs);
  }

  /** Hands on what is pending and resolves when every batch so far was handled. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
  }

  private flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const inputs = this.pending;
    this.pending = [];
    if (inputs.length > 0) this.chain = this.chain.then(() => this.handle(inputs));
  }
}
