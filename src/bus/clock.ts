/**
 * The one clock. Every module takes a Clock so that tests can drive time
 * (hello timeouts, backoff, heartbeats, rate limits) without sleeping.
 */

export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  /** Epoch milliseconds, with a sub-millisecond fraction. */
  now(): number;
  /** ISO-8601 UTC with six fractional digits (microseconds). */
  isoNow(): string;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** ISO-8601 UTC with microseconds from epoch milliseconds (with fraction). */
export function isoFromEpochMs(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.floor((ms - whole) * 1000);
  const base = new Date(whole).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${base.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

class SystemClock implements Clock {
  private readonly origin = performance.timeOrigin;
  now(): number {
    return this.origin + performance.now();
  }
  isoNow(): string {
    return isoFromEpochMs(this.now());
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(abortError(signal as AbortSignal));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real clock (timers are unref'd: a pending timer never keeps a process alive). */
export const systemClock: Clock = new SystemClock();

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock for tests: time moves only when `advance(ms)` is called, and timers
 * due within the step fire in order of their due time.
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }
  now(): number {
    return this.current;
  }
  isoNow(): string {
    return isoFromEpochMs(this.current);
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }
  /** Moves time forward by `ms`, firing due timers (and timers they schedule) in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }
}
