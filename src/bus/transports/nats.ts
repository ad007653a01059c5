/**
 * The nats transport (bus.md §4, §5): a client of a real nats-server through the official
 * client (`@nats-io/transport-node`).
 *
 * - Topics map 1:1 to subjects; the body is the envelope JSON; header `Nats-Msg-Id` is
 *   the envelope id, so ids and timestamps are kept end to end (CORRECTIONS #4.4).
 * - Own events come back through the server (NATS echo, on by default); they are not
 *   also delivered locally, so each arrives once.
 * - Reconnect and re-subscribe are the client's (forever, also before the first
 *   connection: CORRECTIONS #4.3); state follows its status iterator. While the link is
 *   down publishes wait in our bounded offline buffer and are flushed, in order, once
 *   the client reports `reconnect` (the client itself discards them on redial).
 * - `ready` resolves after the SUB has been flushed (a PING/PONG round trip).
 * - The durable-topics stream is ensured on every (re)connect; `durable()` reads it.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type Msg, type NatsConnection, type NodeConnectionOptions, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { BaseBus, type BusOptions } from '../base-bus.js';
import type { TimerHandle } from '../clock.js';
import { jetStreamDurable } from '../durable/jetstream.js';
import { normalizePatterns, validateDurableName } from '../durable/names.js';
import { defaultStreamSettings, type StreamSettings } from '../durable/settings.js';
import { ensureStream } from '../durable/stream.js';
import { BusClosedError, BusConfigError, TopicError } from '../errors.js';
import { covers, isValidTopic } from '../grammar.js';
import { RateLimitedLog } from '../log.js';
import type { PreparedEvent } from '../prepare.js';
import type { DurableOptions, DurableSubscription } from '../types.js';
import { Backoff } from './backoff.js';
import { clientOptions, Gate, linkUp, MSG_ID_HEADER, OfflineQueue, OutageSchedule, watchStatus, type NatsSettings } from './nats-connection.js';

export interface NatsBusOptions extends BusOptions, NatsSettings {
  /** Events kept while the server is away (default 10,000). */
  readonly offlineBuffer?: number;
  /** The durable-topics stream (default: DECNET_EVENTS over the default durable set). */
  readonly stream?: StreamSettings;
}

/** Minimal shape check before delivery: a foreign publisher on the subject is not trusted. */
function isEnvelopeJson(body: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return false;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = (v as { payload?: unknown }).payload;
  return p !== null && typeof p === 'object' && !Array.isArray(p);
}

export class NatsBus extends BaseBus {
  readonly transport = 'nats' as const;
  readonly stream: StreamSettings;
  private readonly connectOpts: NodeConnectionOptions;
  private readonly schedule: OutageSchedule;
  private readonly redialBackoff = new Backoff();
  private readonly outbox: OfflineQueue<PreparedEvent>;
  private readonly refusals: RateLimitedLog;
  private readonly online = new Gate();
  private readonly natsSubs = new Map<string, NatsSubscription>();
  private readonly subErrors = new Map<string, Error>();
  private readonly durables = new Set<DurableSubscription>();
  private nc: NatsConnection | undefined;
  private stopping = false;
  private redialTimer: TimerHandle | undefined;
  private streamEnsured: Promise<void> | undefined;
  private readonly firstConnection: Promise<NatsConnection>;
  private resolveFirst!: (nc: NatsConnection) => void;
  private rejectFirst!: (err: unknown) => void;

  /** Throws BusConfigError for a bad URL, an unreadable creds file, or token and creds together. */
  constructor(opts: NatsBusOptions) {
    super(opts);
    this.schedule = new OutageSchedule(this.clock);
    this.connectOpts = clientOptions({ name: opts.name, settings: opts, schedule: this.schedule, stopping: () => this.stopping });
    this.outbox = new OfflineQueue(opts.offlineBuffer ?? 10_000);
    this.refusals = new RateLimitedLog(this.log, () => this.clock.now());
    this.stream = opts.stream ?? defaultStreamSettings();
    this.firstConnection = new Promise((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    this.firstConnection.catch(() => undefined);
  }

  /** Events waiting in the offline buffer. */
  get buffered(): number {
    return this.outbox.length;
  }

  protected start(): void {
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
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'nats: connect gave up; dialling again');
        this.redialTimer = this.clock.setTimeout(() => this.dial(), this.redialBackoff.next());
      },
    );
  }

  private onConnected(nc: NatsConnection): void {
    if (this.stopping) {
      void nc.close();
      return;
    }
    this.redialBackoff.reset();
    this.nc = nc;
    watchStatus(nc, this.log, { disconnect: () => this.onLost(nc), reconnect: () => this.onBack(nc) });
    void nc.closed().then((err) => this.onClosed(nc, err));
    for (const pattern of this.routedPatterns()) this.subscribeNats(nc, pattern);
    this.online.open();
    this.flushOutbox();
    this.setState('connected');
    this.ensureStreamOn(nc);
    this.resolveFirst(nc);
  }

  private onLost(nc: NatsConnection): void {
    if (nc !== this.nc || this.stopping) return;
    this.online.close();
    this.schedule.begin();
    this.setState('reconnecting');
  }

  private onBack(nc: NatsConnection): void {
    if (nc !== this.nc || this.stopping) return;
    this.online.open();
    this.flushOutbox();
    this.setState('connected');
    this.ensureStreamOn(nc);
  }

  /** The client gave up on a connection (it should not, with endless reconnects): start over. */
  private onClosed(nc: NatsConnection, err: void | Error): void {
    if (nc !== this.nc || this.stopping) return;
    this.log.error({ err: err instanceof Error ? err.message : undefined }, 'nats: connection closed by the client; dialling again');
    this.nc = undefined;
    this.natsSubs.clear();
    this.online.close();
    this.setState('reconnecting');
    this.schedule.begin();
    this.redialTimer = this.clock.setTimeout(() => this.dial(), this.redialBackoff.next());
  }

  private ensureStreamOn(nc: NatsConnection): void {
    if (this.stream.patterns.length === 0) {
      this.streamEnsured = Promise.resolve();
      return;
    }
    this.streamEnsured = (async () => {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, this.stream, this.log);
    })().catch((err: unknown) => {
      // closing while it was in flight (a one-shot `decnet pub`) is no news
      const level = this.stopping || nc.isClosed() ? 'debug' : 'warn';
      this.log[level]({ stream: this.stream.name, err: err instanceof Error ? err.message : String(err) }, 'nats: could not ensure the durable-topics stream (JetStream unavailable?)');
    });
  }

  private subscribeNats(nc: NatsConnection, pattern: string): void {
    if (this.natsSubs.has(pattern)) return;
    this.subErrors.delete(pattern);
    try {
      const sub = nc.subscribe(pattern, {
        callback: (err, msg) => {
          if (err) this.onSubError(pattern, err);
          else this.onMsg(pattern, msg);
        },
      });
      this.natsSubs.set(pattern, sub);
    } catch (err) {
      // the connection is closing; the pattern is subscribed again on the next connection
      this.log.debug({ pattern, err: err instanceof Error ? err.message : String(err) }, 'nats: subscribe failed');
    }
  }

  private onSubError(pattern: string, err: Error): void {
    this.subErrors.set(pattern, err);
    this.refusals.warn(`sub:${pattern}`, { pattern, err: err.message }, 'nats: the server refused a subscription');
  }

  /** One copy per SUB: it serves the local subscriptions of that pattern only. */
  private onMsg(pattern: string, msg: Msg): void {
    const topic = msg.subject;
    let body: string;
    try {
      body = msg.string();
    } catch {
      body = '';
    }
    if (!isValidTopic(topic) || !isEnvelopeJson(body)) {
      this.refusals.warn(`bad:${topic}`, { topic }, 'nats: message is not a decnet envelope; dropped');
      return;
    }
    this.deliverLocal(topic, body, pattern);
  }

  private publishNow(nc: NatsConnection, event: PreparedEvent): void {
    const h = headers();
    h.set(MSG_ID_HEADER, event.id);
    try {
      nc.publish(event.topic, event.envelopeJson, { headers: h });
    } catch (err) {
      this.counters.refused++;
      this.refusals.warn(`pub:${event.topic}`, { topic: event.topic, err: err instanceof Error ? err.message : String(err) }, 'nats: publish refused by the client');
    }
  }

  private flushOutbox(): void {
    const nc = this.nc;
    while (nc && this.online.opened && linkUp(nc) && this.outbox.length > 0) {
      this.publishNow(nc, this.outbox.shift() as PreparedEvent);
    }
  }

  protected send(event: PreparedEvent): void {
    const nc = this.nc;
    if (nc && this.online.opened && this.outbox.length === 0 && linkUp(nc)) {
      this.publishNow(nc, event);
      return;
    }
    this.counters.dropped_offline += this.outbox.push(event);
  }

  protected route(pattern: string): Promise<void> {
    if (this.nc) this.subscribeNats(this.nc, pattern);
    return this.routed(pattern);
  }

  /** Resolves once the server has the SUB (flushed on a live link); rejects on a refusal. */
  private async routed(pattern: string): Promise<void> {
    for (;;) {
      await this.online.wait();
      const nc = this.nc;
      if (this.stopping || !nc || !this.natsSubs.has(pattern)) return;
      try {
        await nc.flush();
        break;
      } catch {
        if (this.stopping) return;
        await this.online.next(); // the link dropped mid-flush: the client re-sends the SUB
      }
    }
    const err = this.subErrors.get(pattern);
    if (err) throw new TopicError(pattern, `refused by the server: ${err.message}`);
  }

  protected unroute(pattern: string): void {
    const sub = this.natsSubs.get(pattern);
    this.natsSubs.delete(pattern);
    this.subErrors.delete(pattern);
    try {
      sub?.unsubscribe();
    } catch (err) {
      this.log.debug({ pattern, err }, 'nats: unsubscribe failed (connection closing)');
    }
  }

  override durable(name: string, patterns: string | readonly string[], opts?: DurableOptions): DurableSubscription {
    if (this.state === 'closed') throw new BusClosedError(`bus ${this.name} is closed`);
    validateDurableName(name);
    const list = normalizePatterns(patterns); // TopicError first, like subscribe()
    for (const p of list) {
      if (!this.stream.patterns.some((s) => covers(s, p))) {
        throw new BusConfigError('DECNET_DURABLE_TOPICS', `${p} is not a durable topic; the stream ${this.stream.name} captures ${this.stream.patterns.join(', ') || 'nothing'}`);
      }
    }
    this.ensureStarted();
    const sub = jetStreamDurable(
      {
        log: this.log,
        stream: this.stream,
        jetstreamReady: async () => {
          await this.firstConnection;
          await this.online.wait();
          await this.streamEnsured;
          const nc = this.nc;
          if (this.stopping || !nc) throw new BusClosedError(`bus ${this.name} is closed`);
          return nc;
        },
        forget: (d) => this.durables.delete(d),
      },
      name,
      list,
      opts,
    );
    this.durables.add(sub);
    return sub;
  }

  protected async shutdown(): Promise<void> {
    this.stopping = true;
    this.clock.clearTimeout(this.redialTimer);
    // durables first: their iterators end (not fail) when the first connection is called off
    await Promise.allSettled([...this.durables].map((d) => d.close()));
    this.rejectFirst(new BusClosedError(`bus ${this.name} closed`));
    const nc = this.nc;
    this.online.release();
    if (!nc || nc.isClosed() || !this.online.opened) {
      this.counters.dropped_offline += this.outbox.clear(); // the server is away: nothing can be flushed
      if (nc && !nc.isClosed()) await nc.close();
      return;
    }
    this.flushOutbox();
    // what is written goes out with the flush; give it at most 1 s
    let cap: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([nc.flush().catch(() => undefined), new Promise<void>((resolve) => (cap = setTimeout(resolve, 1000)))]);
    clearTimeout(cap);
    await nc.close();
  }
}
