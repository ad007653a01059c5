/**
 * What every transport shares: publish validation, local subscriptions with
 * reference-counted patterns, own-event delivery, the state machine and stats.
 * A transport adds only how events leave and arrive (spec/bus.md §4).
 */
import { BusClosedError, BusUnavailableError } from './errors.js';
import { systemClock, type Clock } from './clock.js';
import type { Envelope } from './envelope.js';
import { validatePattern } from './grammar.js';
import { liveDurable } from './durable/at-most-once.js';
import { silentLogger, type Logger } from './log.js';
import { prepareEvent, type PreparedEvent } from './prepare.js';
import { SubscriptionIndex } from './subscription-index.js';
import { DEFAULT_SUBSCRIPTION_QUEUE, SubscriptionQueue } from './subscription-queue.js';
import type { PayloadOf } from './topics/typed.js';
import type { Bus, BusState, BusStats, ConnectOptions, DurableOptions, DurableSubscription, PublishOptions, StateChange, SubscribeOptions, Subscription, TransportName } from './types.js';

export interface BusOptions {
  readonly name: string;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Throw on payloads that fail their schema (DECNET_BUS_STRICT=1). */
  readonly strict?: boolean;
  /** Default bound of each subscription's queue. */
  readonly queue?: number;
}

interface PatternRoute {
  users: number;
  ready: Promise<void>;
}

export abstract class BaseBus implements Bus {
  abstract readonly transport: TransportName;
  readonly name: string;
  protected readonly clock: Clock;
  protected readonly log: Logger;
  private readonly strict: boolean;
  private readonly defaultQueue: number;
  private current: BusState = 'idle';
  private everConnected = false;
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly local = new SubscriptionIndex<SubscriptionQueue>();
  private readonly routes = new Map<string, PatternRoute>();
  private readonly subs = new Set<SubscriptionQueue>();
  private closedDrops = 0;
  private closing: Promise<void> | undefined;
  protected readonly counters: BusStats = { published: 0, delivered: 0, dropped_offline: 0, dropped_slow: 0, reconnects: 0, invalid_payloads: 0, refused: 0 };

  constructor(opts: BusOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.strict = opts.strict ?? false;
    this.defaultQueue = opts.queue ?? DEFAULT_SUBSCRIPTION_QUEUE;
  }

  get state(): BusState {
    return this.current;
  }

  /** Starts the transport's connection; called once, lazily. */
  protected abstract start(): void;
  /** Sends a validated event to the transport (never throws for transport trouble). */
  protected abstract send(event: PreparedEvent): void;
  /** The first local user of `pattern` appeared: route it; resolves when routed. */
  protected abstract route(pattern: string): Promise<void>;
  /** The last local user of `pattern` left. */
  protected abstract unroute(pattern: string): void;
  /** Flushes (≤ 1 s) and releases the transport. */
  protected abstract shutdown(): Promise<void>;

  connect(opts?: ConnectOptions): Promise<void> {
    if (this.current === 'closed') return Promise.reject(new BusClosedError(`bus ${this.name} is closed`));
    this.ensureStarted();
    if (this.current === 'connected') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const off = this.on('state', ({ state }) => {
        if (state === 'connected') {
          done();
          resolve();
        } else if (state === 'closed') {
          done();
          reject(new BusClosedError(`bus ${this.name} closed while connecting`));
        }
      });
      const done = (): void => {
        off();
        this.clock.clearTimeout(timer);
      };
      if (opts?.timeoutMs !== undefined) {
        timer = this.clock.setTimeout(() => {
          done();
          reject(new BusUnavailableError(`bus ${this.transport} not reachable within ${opts.timeoutMs} ms (still retrying)`));
        }, opts.timeoutMs);
      }
    });
  }

  protected ensureStarted(): void {
    if (this.current !== 'idle') return;
    this.setState('connecting');
    this.start();
  }

  publish<T extends string>(topic: T, payload: PayloadOf<T>, opts?: PublishOptions): Promise<void> {
    let event: PreparedEvent;
    try {
      event = prepareEvent(topic, payload, opts, {
        now: () => this.clock.now(),
        strict: this.strict,
        onInvalid: (t, issues) => {
          this.counters.invalid_payloads++;
          this.log.warn({ topic: t, issues }, 'payload does not match its catalogue schema; sent anyway');
        },
      });
    } catch (err) {
      return Promise.reject(err);
    }
    this.publishPrepared(event);
    return Promise.resolve();
  }

  publishPrepared(event: PreparedEvent): void {
    if (this.current === 'closed') {
      this.closedDrops++;
      const level = this.closedDrops === 1 ? 'warn' : 'debug';
      this.log[level]({ topic: event.topic, drops: this.closedDrops }, 'publish after close: event dropped');
      return;
    }
    this.ensureStarted();
    this.counters.published++;
    this.send(event);
  }

  subscribe(pattern: string, opts?: SubscribeOptions): Subscription {
    validatePattern(pattern);
    if (this.current === 'closed') throw new BusClosedError(`bus ${this.name} is closed`);
    const sub = new SubscriptionQueue(pattern, opts?.queue ?? this.defaultQueue, (s) => this.release(s));
    this.subs.add(sub);
    this.local.add(pattern, sub);
    let route = this.routes.get(pattern);
    if (route) {
      route.users++;
    } else {
      route = { users: 1, ready: Promise.resolve() };
      this.routes.set(pattern, route);
      this.ensureStarted();
      route.ready = this.route(pattern);
    }
    route.ready.then(
      () => sub.markReady(),
      (err: unknown) => sub.failReady(err),
    );
    return sub;
  }

  /**
   * The at-most-once fallback of `durable()` (unix, memory, null): live subscriptions,
   * each event once, `ack()` a no-op. Events missed while away are gone; see
   * DurableSubscription. The nats transport overrides this with JetStream.
   */
  durable(name: string, patterns: string | readonly string[], opts?: DurableOptions): DurableSubscription {
    if (this.current === 'closed') throw new BusClosedError(`bus ${this.name} is closed`);
    return liveDurable(this, name, patterns, opts);
  }

  private release(sub: SubscriptionQueue): void {
    if (!this.subs.delete(sub)) return;
    this.local.remove(sub.pattern, sub);
    const route = this.routes.get(sub.pattern);
    if (!route) return;
    route.users--;
    if (route.users === 0) {
      this.routes.delete(sub.pattern);
      if (this.current !== 'closed') this.unroute(sub.pattern);
    }
  }

  /** The distinct patterns currently routed (for re-subscription after a reconnect). */
  protected routedPatterns(): string[] {
    return [...this.routes.keys()];
  }

  /** Does any local subscription match `topic`? */
  protected wantsLocally(topic: string): boolean {
    let any = false;
    this.local.forEachMatch(topic, () => {
      any = true;
    });
    return any;
  }

  /**
   * Hands an event to every matching local subscription, each with its own
   * JSON round-trip copy (a subscriber can never see another's mutation, and
   * nothing passes here that would not survive the wire). Returns the count.
   * `onlyPattern`: deliver only to subscriptions of exactly that pattern (NATS sends
   * one copy per SUB, so each copy serves the subscriptions of its own pattern).
   */
  protected deliverLocal(topic: string, envelopeJson: string, onlyPattern?: string): number {
    const targets = this.local.matchSet(topic);
    let n = 0;
    for (const sub of targets) {
      if (onlyPattern !== undefined && sub.pattern !== onlyPattern) continue;
      const copy = JSON.parse(envelopeJson) as { topic: string };
      // the topic comes from the transport, never from the body (bus.md §1)
      if (copy.topic !== topic) copy.topic = topic;
      if (!sub.push(copy as Envelope)) this.counters.dropped_slow++;
      n++;
    }
    this.counters.delivered += n;
    return n;
  }

  protected setState(next: BusState): void {
    const previous = this.current;
    if (previous === next || previous === 'closed') return;
    this.current = next;
    const reconnected = next === 'connected' && this.everConnected;
    if (next === 'connected') {
      if (this.everConnected) this.counters.reconnects++;
      this.everConnected = true;
    }
    const change: StateChange = { state: next, previous, reconnected };
    for (const fn of [...this.listeners]) {
      try {
        fn(change);
      } catch (err) {
        this.log.warn({ err }, 'bus state listener threw');
      }
    }
  }

  on(_event: 'state', listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): BusStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasStarted = this.current !== 'idle';
      for (const sub of [...this.subs]) sub.end();
      this.subs.clear();
      if (wasStarted) await this.shutdown(); // may still read routedPatterns()
      this.routes.clear();
      this.setState('closed');
      this.listeners.clear();
    })();
    return this.closing;
  }
}
