/**
 * The bridge's side of NATS: one raw connection with `noEcho` (what the bridge exports
 * never comes back to it, CORRECTIONS #4.7), reconnecting forever like the nats
 * transport, with a bounded buffer for exports written while the link is down.
 */
import { connect, headers, type Msg, type NatsConnection, type NodeConnectionOptions, type Subscription } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Clock, TimerHandle } from '../clock.js';
import { ensureStream } from '../durable/stream.js';
import type { StreamSettings } from '../durable/settings.js';
import type { Logger } from '../log.js';
import { Backoff } from '../transports/backoff.js';
import { BRIDGE_HEADER, clientOptions, DEFAULT_MAX_PAYLOAD, linkUp, MSG_ID_HEADER, OfflineQueue, OutageSchedule, watchStatus, type NatsSettings } from '../transports/nats-connection.js';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface OutboundEvent {
  readonly topic: string;
  readonly id: string;
  readonly envelope: Uint8Array;
}

export interface LinkOptions {
  readonly name: string;
  readonly bridgeId: string;
  readonly settings: NatsSettings;
  readonly imports: readonly string[];
  readonly onMessage: (msg: Msg) => void;
  readonly stream: StreamSettings | undefined;
  readonly offlineBuffer: number;
  readonly clock: Clock;
  readonly log: Logger;
}

export class NatsLink {
  state: LinkState = 'connecting';
  /** Exports dropped from the offline buffer, or refused by the client. */
  dropped = 0;
  private readonly connectOpts: NodeConnectionOptions;
  private readonly schedule: OutageSchedule;
  private readonly backoff = new Backoff();
  private readonly outbox: OfflineQueue<OutboundEvent>;
  private readonly subs: Subscription[] = [];
  private nc: NatsConnection | undefined;
  private stopping = false;
  private redialTimer: TimerHandle | undefined;
  private readyResolve!: () => void;
  /** Resolves once connected with every import subscription flushed. */
  readonly ready: Promise<void>;

  constructor(private readonly opts: LinkOptions) {
    this.schedule = new OutageSchedule(opts.clock);
    this.connectOpts = clientOptions({ name: opts.name, settings: opts.settings, schedule: this.schedule, stopping: () => this.stopping, noEcho: true });
    this.outbox = new OfflineQueue(opts.offlineBuffer);
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
  }

  /** Largest message (headers included) the server takes. */
  get maxPayload(): number {
    return this.nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }

  get buffered(): number {
    return this.outbox.length;
  }

  start(): void {
    this.schedule.begin();
    this.dial();
  }

  private dial(): void {
    this.redialTimer = undefined;
    if (this.stopping) return;
    connect(this.connectOpts).then(
      (nc) => this.onConnected(nc),
      (err: unknown) => {
        if (this.stopping) return;
        this.opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'bridge: NATS connect gave up; dialling again');
        this.redialTimer = this.opts.clock.setTimeout(() => this.dial(), this.backoff.next());
      },
    );
  }

  private onConnected(nc: NatsConnection): void {
    if (this.stopping) {
      void nc.close();
      return;
    }
    this.backoff.reset();
    this.nc = nc;
    watchStatus(nc, this.opts.log, {
      disconnect: () => {
        if (nc !== this.nc || this.stopping) return;
        this.schedule.begin();
        this.setState('reconnecting');
      },
      reconnect: () => {
        if (nc !== this.nc || this.stopping) return;
        this.setState('connected');
        this.flush();
        this.ensureStream(nc);
      },
    });
    void nc.closed().then(() => {
      if (nc !== this.nc || this.stopping) return;
      this.opts.log.error({}, 'bridge: NATS connection closed by the client; dialling again');
      this.nc = undefined;
      this.subs.length = 0;
      this.setState('reconnecting');
      this.schedule.begin();
      this.redialTimer = this.opts.clock.setTimeout(() => this.dial(), this.backoff.next());
    });
    for (const pattern of this.opts.imports) {
      this.subs.push(nc.subscribe(pattern, { callback: (err, msg) => (err ? this.opts.log.warn({ pattern, err: err.message }, 'bridge: import subscription refused') : this.opts.onMessage(msg)) }));
    }
    this.setState('connected');
    this.flush();
    this.ensureStream(nc);
    nc.flush().then(
      () => this.readyResolve(),
      () => this.readyResolve(), // lost meanwhile: the client re-sends the SUBs on reconnect
    );
  }

  private setState(next: LinkState): void {
    if (this.state === 'closed' || this.state === next) return;
    const previous = this.state;
    this.state = next;
    this.opts.log.info({ state: next, previous }, 'bridge: NATS link state');
  }

  private ensureStream(nc: NatsConnection): void {
    const stream = this.opts.stream;
    if (!stream || stream.patterns.length === 0) return;
    void (async () => {
      await ensureStream(await jetstreamManager(nc), stream, this.opts.log);
    })().catch((err: unknown) => {
      const level = this.stopping || nc.isClosed() ? 'debug' : 'warn';
      this.opts.log[level]({ err: err instanceof Error ? err.message : String(err) }, 'bridge: could not ensure the durable-topics stream (JetStream unavailable?)');
    });
  }

  private canWrite(): NatsConnection | undefined {
    const nc = this.nc;
    return nc && this.state === 'connected' && linkUp(nc) ? nc : undefined;
  }

  /** Publishes now, or buffers while the link is down. */
  send(ev: OutboundEvent): void {
    const nc = this.canWrite();
    if (nc && this.outbox.length === 0) this.write(nc, ev);
    else this.dropped += this.outbox.push(ev);
  }

  private write(nc: NatsConnection, ev: OutboundEvent): void {
    const h = headers();
    h.set(MSG_ID_HEADER, ev.id);
    h.set(BRIDGE_HEADER, this.opts.bridgeId);
    try {
      nc.publish(ev.topic, ev.envelope, { headers: h });
    } catch (err) {
      this.dropped++;
      this.opts.log.warn({ topic: ev.topic, err: err instanceof Error ? err.message : String(err) }, 'bridge: export refused by the NATS client');
    }
  }

  private flush(): void {
    for (let nc = this.canWrite(); nc && this.outbox.length > 0; nc = this.canWrite()) this.write(nc, this.outbox.shift() as OutboundEvent);
  }

  /** Flushes what is written (≤ 1 s) and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.opts.clock.clearTimeout(this.redialTimer);
    this.readyResolve();
    const nc = this.nc;
    this.state = 'closed';
    if (!nc || nc.isClosed()) {
      this.dropped += this.outbox.clear();
      return;
    }
    if (linkUp(nc)) {
      for (let ev = this.outbox.shift(); ev; ev = this.outbox.shift()) this.write(nc, ev);
      let cap: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([nc.flush().catch(() => undefined), new Promise<void>((resolve) => (cap = setTimeout(resolve, 1000)))]);
      clearTimeout(cap);
    } else {
      this.dropped += this.outbox.clear();
    }
    await nc.close();
  }
}
