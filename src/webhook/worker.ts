/**
 * `runWebhook`: the webhook egress worker (eventplane.md §4.3–§4.8), a function of its
 * dependencies. It composes:
 *
 * - the journal feed (journaled topics: on start, on a bus wake, after a reconnect and
 *   every 5 s; at-least-once) and the live feed (other topics while running;
 *   at-most-once), both writing outbox rows before anything is sent;
 * - the dispatcher (claims, attempts, results, circuit breaker; one transaction per cycle);
 * - reloads of the subscription snapshot on `system.webhook.subscriptions_changed`,
 *   every 60 s, and when the dispatcher sees a changed row;
 * - maintenance every 10 s (expired leases, rows past their 24 h, the heartbeat's row
 *   counts) and retention hourly.
 *
 * On stop it claims nothing new, lets attempts finish (each ≤ the exchange timeout),
 * records them and returns. Heartbeats are the caller's (`decnet webhook`, `decnet
 * up`), fed by `stats`.
 */
import { hostname } from 'node:os';
import { topics, wakeOn, type Bus, type Clock, type Logger } from '../bus/index.js';
import type { DecnetConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import { deriveKey } from '../secrets/index.js';
import { CircuitBreaker } from './circuit.js';
import { describeError } from './delivery.js';
import { Dispatcher } from './dispatcher.js';
import { JournalFeed } from './journal-feed.js';
import { LiveFeed } from './live-feed.js';
import { DeliveryOutbox, type AttemptResult } from './outbox.js';
import { PinnedAgent, type ConnectHook } from './pinned-agent.js';
import { RetrySchedule } from './schedule.js';
import { WebhookUrlGuard, type HostResolver } from './ssrf-guard.js';
import { WebhookStats } from './stats.js';
import { SubscriptionSet } from './subscriptions.js';

export interface WebhookWorkerDeps {
  readonly bus: Bus;
  readonly db: Db;
  readonly config: DecnetConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly masterKey: Buffer;
  /** Counters for the heartbeat (a fresh set when absent). */
  readonly stats?: WebhookStats;
  /** Name resolution behind the SSRF guard (default `dns.lookup`; tests inject one). */
  readonly resolver?: HostResolver;
  /** Sees every connection before it is made; throwing refuses it (tests: loopback only). */
  readonly connectHook?: ConnectHook;
  /** U[0,1) for retry jitter (tests inject a constant). */
  readonly random?: () => number;
  /** Sees every finished attempt. */
  readonly onAttempt?: (result: AttemptResult, elapsedMs: number) => void;
  /** Dispatcher poll, ms (1000). */
  readonly pollMs?: number;
  /** Journal poll, ms (5000). */
  readonly journalPollMs?: number;
  /** Reload fallback, ms (60000). */
  readonly reloadMs?: number;
  /** Maintenance interval, ms (10000). */
  readonly maintenanceMs?: number;
  /** Called once the worker is listening and its journal cursor exists. */
  readonly onReady?: () => void;
}

/** `host:pid:start`, the lease holder of this worker instance. */
export function leaseHolder(clock: Clock): string {
  return `${hostname()}:${process.pid}:${Math.floor(clock.now())}`;
}

/** Is `holder` an instance of this worker on this host whose process is gone (or an earlier run in this one)? */
export function isGoneLocalHolder(holder: string, self: string): boolean {
  if (holder === self) return false;
  const parts = holder.split(':');
  const start = parts.pop();
  const pid = Number(parts.pop());
  if (start === undefined || !Number.isSafeInteger(pid) || parts.join(':') !== hostname()) return false;
  if (pid === process.pid) return true; // an earlier in-process run (decnet up --bus memory restarts in place)
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const HOUR_MS = 3_600_000;

export async function runWebhook(deps: WebhookWorkerDeps): Promise<void> {
  const { bus, db, config, clock, signal } = deps;
  const log = deps.log;
  const settings = config.webhook;
  const stats = deps.stats ?? new WebhookStats();
  const key = deriveKey(deps.masterKey, 'webhook-secret');
  const lockId = leaseHolder(clock);
  const guard = new WebhookUrlGuard({ allowPrivate: settings.allowPrivate, allowCidrs: settings.allowCidrs, clock, dnsCacheSecs: settings.dnsCacheSecs, ...(deps.resolver ? { resolver: deps.resolver } : {}) });
  const agent = new PinnedAgent({ connections: settings.concurrency, ...(deps.connectHook ? { connectHook: deps.connectHook } : {}) });
  const outbox = new DeliveryOutbox({ db, clock, log, lockId, schedule: new RetrySchedule(settings, deps.random), circuit: new CircuitBreaker({ threshold: settings.circuitThreshold, cooldownSecs: settings.circuitCooldownSecs }) });
  const subscriptions = new SubscriptionSet(db, key, log);
  const durableTopics = config.journal.durableTopics;

  let reloading: Promise<void> | undefined;
  let reloadAgain = false;
  const reload = (): Promise<void> => {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        reloadAgain = false;
        try {
          await subscriptions.reload();
          live.sync();
          dispatcher.notify();
        } catch (err) {
          log.warn({ err: describeError(err) }, 'webhook subscriptions reload failed; retrying at the next signal or fallback');
        }
      } while (reloadAgain && !signal.aborted);
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  };

  const dispatcher: Dispatcher = new Dispatcher({
    outbox,
    subscriptions,
    attempt: { guard, agent, clock, timeoutMs: settings.timeoutSecs * 1000 },
    clock,
    log,
    stats,
    concurrency: settings.concurrency,
    perSubscription: settings.perSubscription,
    pollMs: deps.pollMs ?? 1000,
    requestReload: () => void reload(),
    ...(deps.onAttempt ? { onAttempt: deps.onAttempt } : {}),
  });
  const notify = (): void => dispatcher.notify();
  const journal = new JournalFeed({ db, outbox, clock, log, stats, onRows: notify });
  const live: LiveFeed = new LiveFeed({ bus, db, outbox, subscriptions, durableTopics, clock, log, stats, onRows: notify });
  stats.inFlight = () => dispatcher.inFlightCount;

  const refreshCounts = async (): Promise<void> => {
    const totals = await db.repos.webhookDeliveries.totals();
    stats.pending = totals.pending;
    stats.failed = totals.failed;
    stats.dead = totals.dead;
    stats.circuitsOpen = (await db.repos.webhookSubscriptions.gates()).filter((g) => g.circuitState !== 'closed').length;
  };

  try {
    await subscriptions.reload();
    const released = await outbox.releaseOrphans((holder) => isGoneLocalHolder(holder, lockId));
    if (released > 0) log.info({ released }, 'webhook rows held by an earlier instance returned to pending');
    await journal.start();
    live.sync();
    await live.ready();
    await refreshCounts();
  } catch (err) {
    await agent.close();
    await live.close();
    throw err;
  }

  const loop = async (what: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      if (!signal.aborted) log.warn({ err: describeError(err), task: what }, 'webhook task failed; retrying at its next wake');
    }
  };

  const journalLoop = async (): Promise<void> => {
    await loop('journal', () => journal.pass(signal).then(() => undefined));
    for await (const _reason of wakeOn(bus, durableTopics, deps.journalPollMs ?? 5000, { signal, clock })) await loop('journal', () => journal.pass(signal).then(() => undefined));
  };
  const reloadLoop = async (): Promise<void> => {
    for await (const _reason of wakeOn(bus, [topics.WEBHOOK_SUBSCRIPTIONS_CHANGED], deps.reloadMs ?? 60_000, { signal, clock })) await reload();
  };
  const maintenanceLoop = async (): Promise<void> => {
    let lastPrune = Number.NEGATIVE_INFINITY;
    while (!signal.aborted) {
      await loop('maintenance', async () => {
        const { released, expired } = await outbox.maintain();
        if (released > 0) {
          log.info({ released }, 'webhook leases expired; rows returned to pending');
          dispatcher.notify();
        }
        if (expired > 0) log.warn({ expired }, 'webhook rows not delivered within 24 h are dead (expired)');
        if (clock.now() - lastPrune >= HOUR_MS) {
          lastPrune = clock.now();
          const pruned = await outbox.prune(settings.retention.succeededDays, settings.retention.deadDays);
          if (pruned > 0) log.info({ pruned }, 'webhook delivery rows past retention deleted');
        }
        await refreshCounts();
      });
      await clock.sleep(deps.maintenanceMs ?? 10_000, signal).catch(() => undefined);
    }
  };

  log.info({ subscriptions: subscriptions.all().length, live_patterns: live.livePatterns().length }, 'webhook worker started');
  deps.onReady?.();
  const background = [journalLoop(), reloadLoop(), maintenanceLoop()];
  try {
    await dispatcher.run(signal);
  } finally {
    await Promise.allSettled(background);
    await reloading;
    await live.close();
    await agent.close();
    log.info('webhook worker stopped');
  }
}
