/**
 * The broker's figures about itself (spec/bus.md §3.7, §7; CORRECTIONS #3.1, #3.2): the
 * `system.bus.health` payload, and the same fields plus one row per connection for
 * `STATS` / `decnet bus stats`. Counters run since start.
 */
import type { Clock } from '../clock.js';
import { MAX_BODY_BYTES } from '../envelope.js';
import type { ConnectionRow } from './connection.js';

/** The heartbeat payload: `system.bus.health`'s catalogue schema (`ts` in epoch seconds). */
export interface BusHealth {
  readonly worker: 'bus';
  readonly pid: number;
  /** Seconds since the broker started. */
  readonly uptime_sec: number;
  /** Epoch seconds, as every heartbeat `ts` of the catalogue. */
  readonly ts: number;
  /** Connections open now. */
  readonly connections: number;
  /** (connection, pattern) pairs routed now. */
  readonly subscriptions: number;
  /** Events accepted for routing since start. */
  readonly published: number;
  /** EVT deliveries handed to subscribers since start (some may be dropped later). */
  readonly delivered: number;
  /** Queued frames dropped to make room since start (slow consumers). */
  readonly dropped: number;
  /** Refused frames since start: semantic refusals and framing errors. */
  readonly refused: number;
}

export interface BrokerStats extends BusHealth {
  readonly per_connection: readonly ConnectionRow[];
  /** Figures of in-process parts (the NATS bridge), by section name. */
  readonly extensions?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Present (true) when rows were left out to keep a STATS body under 1 MiB. */
  readonly per_connection_truncated?: true;
}

/** The counters the connections and the router feed. */
export interface BrokerCounters {
  dropped: number;
  refused: number;
}

export interface StatsSource {
  readonly clock: Clock;
  readonly pid: number;
  /** `clock.now()` at start (ms). */
  readonly startedAt: number;
  readonly counters: BrokerCounters;
  readonly published: () => number;
  readonly delivered: () => number;
  readonly rows: () => Iterable<ConnectionRow>;
}

/** The heartbeat fields, now. */
export function healthNow(src: StatsSource): BusHealth {
  const now = src.clock.now();
  let connections = 0;
  let subscriptions = 0;
  for (const row of src.rows()) {
    connections++;
    subscriptions += row.patterns;
  }
  return {
    worker: 'bus',
    pid: src.pid,
    uptime_sec: Math.max(0, Math.round(now - src.startedAt) / 1000),
    ts: now / 1000,
    connections,
    subscriptions,
    published: src.published(),
    delivered: src.delivered(),
    dropped: src.counters.dropped,
    refused: src.counters.refused,
  };
}

/** Heartbeat fields plus one row per connection. */
export function statsNow(src: StatsSource): BrokerStats {
  return { ...healthNow(src), per_connection: [...src.rows()] };
}

/**
 * The JSON body of a STATS reply: the stats, with rows cut (and `per_connection_truncated`
 * set) when the whole would not fit a frame. Rows are small, so this is rare.
 */
export function statsBody(stats: BrokerStats, limit = MAX_BODY_BYTES): Buffer {
  const full = Buffer.from(JSON.stringify(stats), 'utf8');
  if (full.length <= limit) return full;
  const rows = stats.per_connection;
  let lo = 0;
  let hi = rows.length;
  let best = Buffer.from(JSON.stringify({ ...stats, per_connection: [], per_connection_truncated: true }), 'utf8');
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const body = Buffer.from(JSON.stringify({ ...stats, per_connection: rows.slice(0, mid), per_connection_truncated: true }), 'utf8');
    if (body.length <= limit) {
      best = body;
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}
