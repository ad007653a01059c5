/**
 * The broker's own beat (spec/bus.md §3.7, CORRECTIONS #3.1): `system.bus.health` at start
 * and then every interval, with the stats payload, to every matching connection. It is an
 * event the broker originates, so it is minted here (fresh id, broker ts) and injected with
 * no origin. The timer runs on the injected clock.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { newEventId, serializeEnvelope } from '../envelope.js';
import type { Logger } from '../log.js';
import { SYSTEM, SYSTEM_BUS_HEALTH, SYSTEM_CONTROL } from '../topics/constants.js';
import type { BusHealth } from './stats.js';

/** `system.bus.health`: the broker's heartbeat topic. */
export const BUS_HEALTH_TOPIC = `${SYSTEM}.${SYSTEM_BUS_HEALTH}`;
/** The heartbeat's envelope `type`: the catalogue constant (CORRECTIONS #2.2). */
export const BUS_HEALTH_TYPE = SYSTEM_BUS_HEALTH;
/** `system.bus.control`: `{action:"stop"}` here shuts the broker down (CORRECTIONS #3.6). */
export const BUS_CONTROL_TOPIC = `${SYSTEM}.bus.${SYSTEM_CONTROL}`;

/** Default beat interval (ms). */
export const DEFAULT_HEARTBEAT_MS = 10_000;

/** The envelope bytes of one beat. */
export function healthEnvelope(payload: BusHealth, id: string = newEventId()): Buffer {
  return Buffer.from(serializeEnvelope({ v: 1, id, topic: BUS_HEALTH_TOPIC, type: BUS_HEALTH_TYPE, ts: payload.ts, payload: { ...payload } }), 'utf8');
}

export interface HeartbeatOptions {
  readonly clock: Clock;
  /** Interval between beats (ms). */
  readonly intervalMs: number;
  /** Sends one beat. */
  readonly beat: () => void;
  readonly log: Logger;
}

export interface Heartbeat {
  stop(): void;
}

/** Beats once now, then every `intervalMs` until stopped. A beat that throws is logged. */
export function startHeartbeat(opts: HeartbeatOptions): Heartbeat {
  if (!(opts.intervalMs > 0) || !Number.isFinite(opts.intervalMs)) throw new RangeError(`heartbeat interval must be a positive number of ms, got ${opts.intervalMs}`);
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    try {
      opts.beat();
    } catch (err) {
      opts.log.error({ err }, 'bus heartbeat failed; next beat as scheduled');
    }
    if (!stopped) timer = opts.clock.setTimeout(tick, opts.intervalMs);
  };
  tick();
  return {
    stop(): void {
      stopped = true;
      opts.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
