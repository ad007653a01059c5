/**
 * The worker registry (eventplane.md §2): one subscription to `system.*.health`
 * (which also matches `system.bus.health`), the last beat of each known worker
 * and the time the API received it. In memory; the bus client re-subscribes by
 * itself after a broker restart.
 */
import { isoFromEpochMs, type Bus, type Clock, type Logger, type Subscription } from '../../bus/index.js';
import { isKnownWorker, KNOWN_WORKERS, type WorkerName } from './known.js';

export type BeatStatus = 'ok' | 'stale' | 'unknown';

export interface WorkerBeat {
  readonly name: WorkerName;
  readonly status: BeatStatus;
  /** ISO-8601 receive time, null while unknown. */
  readonly lastHeartbeatTs: string | null;
  readonly secondsSince: number | null;
  /** The payload minus `worker` and `ts`. */
  readonly extra: Record<string, unknown>;
}

interface Seen {
  atMs: number;
  extra: Record<string, unknown>;
}

export class WorkerRegistry {
  private readonly seen = new Map<WorkerName, Seen>();
  private sub: Subscription | undefined;
  private pump: Promise<void> | undefined;
  /** Beats ignored: unknown worker name, or `payload.worker` not the topic token. */
  ignored = 0;

  constructor(
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly okWindowSecs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.sub) return;
    const sub = this.bus.subscribe('system.*.health', { queue: 4096 });
    this.sub = sub;
    this.pump = (async () => {
      for await (const ev of sub) this.record(ev.topic, ev.payload);
    })();
  }

  /** Records one beat (exported for the in-process supervisor's own beats too). */
  record(topic: string, payload: Record<string, unknown>): void {
    const name = topic.split('.')[1] ?? '';
    if (!isKnownWorker(name) || payload.worker !== name) {
      this.ignored++;
      this.log.debug({ topic, worker: payload.worker }, 'heartbeat ignored');
      return;
    }
    const { worker: _w, ts: _ts, ...extra } = payload;
    this.seen.set(name, { atMs: this.clock.now(), extra });
  }

  beat(name: WorkerName): WorkerBeat {
    const s = this.seen.get(name);
    if (!s) return { name, status: 'unknown', lastHeartbeatTs: null, secondsSince: null, extra: {} };
    const since = Math.max(0, (this.clock.now() - s.atMs) / 1000);
    return {
      name,
      status: since <= this.okWindowSecs ? 'ok' : 'stale',
      lastHeartbeatTs: isoFromEpochMs(s.atMs),
      secondsSince: Math.round(since * 1000) / 1000,
      extra: s.extra,
    };
  }

  all(): WorkerBeat[] {
    return KNOWN_WORKERS.map((n) => this.beat(n));
  }

  async stop(): Promise<void> {
    await this.sub?.close();
    await this.pump;
    this.sub = undefined;
  }
}
