/**
 * What the NATS transport and the bridge share: validated connection settings, the
 * client options (CORRECTIONS #4.3: reconnect forever, wait on the first connect), a
 * reconnect schedule the client can follow, and a bounded offline queue.
 *
 * nats.js discards what was written while it is disconnected (each dial resets its
 * outbound buffer), so both users keep their own bounded queue and flush it once the
 * client reports `reconnect`.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NatsConnection, type Status } from '@nats-io/transport-node';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import type { Clock } from '../clock.js';
import { BusConfigError } from '../errors.js';
import type { Logger } from '../log.js';

/** Header carrying the envelope id (JetStream dedupes on it). */
export const MSG_ID_HEADER = 'Nats-Msg-Id';
/** Header naming the bridge that forwarded an event (bus.md §5). */
export const BRIDGE_HEADER = 'Decnet-Bridge';
/** nats-server's default `max_payload`, used until the server's INFO says otherwise. */
export const DEFAULT_MAX_PAYLOAD = 1_048_576;

export interface NatsSettings {
  /** One URL or several, comma-separated (`nats://host:4222`, `tls://…`, `host:port`). */
  readonly servers: string | readonly string[];
  /** Token auth (DECNET_NATS_TOKEN). */
  readonly token?: string | undefined;
  /** A `.creds` file (DECNET_NATS_CREDS). */
  readonly credsFile?: string | undefined;
}

/** Splits and checks the server list; throws BusConfigError naming DECNET_NATS_URL. */
export function parseServers(servers: string | readonly string[]): string[] {
  const list = (typeof servers === 'string' ? servers.split(',') : [...servers]).map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new BusConfigError('DECNET_NATS_URL', 'expected a URL such as nats://127.0.0.1:4222, got nothing');
  for (const entry of list) {
    let url: URL;
    try {
      url = new URL(entry.includes('://') ? entry : `nats://${entry}`);
    } catch {
      throw new BusConfigError('DECNET_NATS_URL', `expected a URL such as nats://127.0.0.1:4222, got ${JSON.stringify(entry)}`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
      throw new BusConfigError('DECNET_NATS_URL', `expected a nats:// or tls:// URL (the Node client has no websockets), got ${JSON.stringify(entry)}`);
    }
    if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/')) {
      throw new BusConfigError('DECNET_NATS_URL', `expected nats://HOST[:PORT], got ${JSON.stringify(entry)}`);
    }
  }
  return list;
}

/** Reads the credentials once, at construction, so a missing file is a settings error. */
function authOptions(s: NatsSettings): Pick<NodeConnectionOptions, 'token' | 'authenticator'> {
  if (s.credsFile && s.token) throw new BusConfigError('DECNET_NATS_TOKEN', 'set DECNET_NATS_CREDS or DECNET_NATS_TOKEN, not both');
  if (s.token) return { token: s.token };
  if (!s.credsFile) return {};
  let creds: Uint8Array;
  try {
    creds = readFileSync(s.credsFile);
  } catch (err) {
    throw new BusConfigError('DECNET_NATS_CREDS', `cannot read the credentials file ${s.credsFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!new TextDecoder().decode(creds).includes('-----BEGIN NATS USER JWT-----')) {
    throw new BusConfigError('DECNET_NATS_CREDS', `${s.credsFile} is not a NATS .creds file (no USER JWT block)`);
  }
  return { authenticator: credsAuthenticator(creds) };
}

/**
 * The reconnect schedule (bus.md §4.4: 100 ms doubling to 5 s, jittered), shaped for
 * nats.js: its dial loop calls `reconnectDelayHandler` on every turn and dials once
 * `lastAttempt + wait <= now`, so the wait must depend on how long the outage has
 * lasted, not on how often it was asked. Gaps come out as 100, 200, 400 … 5000 ms.
 */
export class OutageSchedule {
  private since: number;
  private jitter = 1;

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = 100,
    private readonly maxMs = 5000,
    private readonly random: () => number = Math.random,
  ) {
    this.since = clock.now();
  }

  /** A connection was lost (or the first dial starts): the schedule starts over. */
  begin(): void {
    this.since = this.clock.now();
    this.jitter = 0.8 + 0.4 * this.random();
  }

  wait(): number {
    const half = this.initialMs / 2;
    const age = Math.max(0, this.clock.now() - this.since);
    const step = Math.floor(Math.log2(age / half + 1));
    return Math.round(Math.min(this.maxMs, half * 2 ** step) * this.jitter);
  }
}

/** Thrown from the delay handler to end a dial loop of a closed owner. */
class DialAborted extends Error {
  override readonly name = 'DialAborted';
}

export interface ClientOptionsInput {
  readonly name: string;
  readonly settings: NatsSettings;
  readonly schedule: OutageSchedule;
  /** True once the owner is closing: the dial loop stops at its next turn. */
  readonly stopping: () => boolean;
  readonly noEcho?: boolean;
}

/**
 * Options for `connect()`: reconnect forever (also before the first connection), on our
 * schedule, stopping when the owner closes. Validates the settings (BusConfigError).
 */
export function clientOptions(input: ClientOptionsInput): NodeConnectionOptions {
  const servers = parseServers(input.settings.servers);
  return {
    servers,
    name: input.name,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectDelayHandler: () => {
      // the loop calls this between attempts: the only place a pending first connect can be ended
      if (input.stopping()) throw new DialAborted('closed while dialling');
      return input.schedule.wait();
    },
    timeout: 5000,
    ...(input.noEcho ? { noEcho: true } : {}),
    ...authOptions(input.settings),
  };
}

export interface StatusHandlers {
  disconnect(): void;
  reconnect(): void;
}

/** Follows the client's status iterator in the background until the connection closes. */
export function watchStatus(nc: NatsConnection, log: Logger, on: StatusHandlers): void {
  void (async () => {
    for await (const s of nc.status() as AsyncIterable<Status>) {
      switch (s.type) {
        case 'disconnect':
          on.disconnect();
          break;
        case 'reconnect':
          on.reconnect();
          break;
        case 'error':
          log.warn({ err: s.error.message }, 'nats: server reported an error');
          break;
        case 'staleConnection':
          log.warn({}, 'nats: connection stale (pings unanswered); reconnecting');
          break;
        case 'ldm':
          log.info({ server: s.server }, 'nats: server entering lame duck mode');
          break;
        default:
          break;
      }
    }
  })().catch((err: unknown) => log.debug({ err }, 'nats status iterator ended'));
}

/** A bounded FIFO: past the bound the oldest item is dropped (and counted by the caller). */
export class OfflineQueue<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`offline buffer must be a non-negative integer, got ${capacity}`);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Returns how many items were dropped to make room (0 or 1; 1 also when capacity is 0). */
  push(item: T): number {
    if (this.capacity === 0) return 1;
    let dropped = 0;
    if (this.length >= this.capacity) {
      this.items[this.head] = undefined;
      this.head++;
      dropped = 1;
    }
    this.items.push(item);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return item;
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    return n;
  }
}

/**
 * Is the socket up right now? The status iterator reports a loss a few ticks late, and
 * what is written in between is discarded by the client's next dial; its protocol
 * handler knows at once. Duck-typed (not part of the typed API): true when absent.
 */
export function linkUp(nc: NatsConnection): boolean {
  const protocol = (nc as unknown as { protocol?: { connected?: unknown } }).protocol;
  return protocol?.connected !== false;
}

/** A gate: `wait()` resolves while or once it is open; `close()` shuts it again. */
export class Gate {
  private isOpen = false;
  private waiters: Array<() => void> = [];

  get opened(): boolean {
    return this.isOpen;
  }

  open(): void {
    this.isOpen = true;
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  close(): void {
    this.isOpen = false;
  }

  wait(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return this.next();
  }

  /** Resolves at the next `open()` (or `release()`), whatever the state now. */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Releases every waiter without opening (the owner is shutting down). */
  release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }
}
