/**
 * The one HTTP client of webhook egress: undici keep-alive pools whose `connect` goes
 * to an address the SSRF guard validated (DNS pinning, eventplane.md §4.7 step 4),
 * while the request keeps the URL's name in `Host` and, for https, in SNI and the
 * certificate check. One pool per (origin, pinned address), so a host that resolves
 * elsewhere later gets a new pool and never reuses a socket to the old address.
 *
 * Redirects are never followed (undici follows none without its redirect interceptor)
 * and proxy variables are ignored (these pools never consult them). A connect error
 * moves on to the next validated address; any other error ends the attempt.
 */
import { Pool, buildConnector } from 'undici';
import type { CheckedTarget } from './ssrf-guard.js';

/** Where a connection is about to go; a hook that throws refuses it (tests: loopback only). */
export interface ConnectTarget {
  readonly address: string;
  readonly port: number;
  /** The URL's host name (what Host and SNI carry). */
  readonly hostname: string;
  readonly protocol: 'http:' | 'https:';
}

export type ConnectHook = (target: ConnectTarget) => void;

/** A connection to one pinned address could not be made; the caller may try the next. */
export class PinnedConnectError extends Error {
  override readonly name = 'PinnedConnectError';
  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super(`connect to ${address} failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, { cause });
  }
}

export interface PinnedAgentOptions {
  /** Called before every connection; throw to refuse it. */
  readonly connectHook?: ConnectHook;
  /** Sockets per pool (≥ the global concurrency, so a pool never queues behind itself). */
  readonly connections?: number;
  /** Idle keep-alive, ms. */
  readonly keepAliveTimeoutMs?: number;
  /** TCP/TLS connect budget, ms (real time: it bounds a socket, not a schedule). */
  readonly connectTimeoutMs?: number;
  /** Pools kept (least recently used closed first). */
  readonly maxPools?: number;
  /** Extra trust anchors for https (tests with a private CA). */
  readonly ca?: string | Buffer;
}

export interface PinnedPost {
  readonly target: CheckedTarget;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Aborts the exchange (the caller's whole-exchange timeout). */
  readonly signal: AbortSignal;
  /** Real-time backstop for headers and body, ms. */
  readonly backstopMs: number;
  /** The response body is read up to this many bytes, then discarded (bytes). */
  readonly maxResponseBytes: number;
}

export interface PinnedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export class PinnedAgent {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly opts: PinnedAgentOptions = {}) {}

  /** POSTs to the target, trying its validated addresses in order on connect errors. */
  async post(req: PinnedPost): Promise<PinnedResponse> {
    if (this.closed) throw new Error('the webhook HTTP agent is closed');
    const { url } = req.target;
    let lastError: unknown = new Error('no validated address to connect to');
    for (const address of req.target.addresses) {
      const pool = this.pool(req.target, address);
      try {
        const res = await pool.request({
          method: 'POST',
          path: `${url.pathname}${url.search}`,
          headers: req.headers,
          body: req.body,
          signal: req.signal,
          headersTimeout: req.backstopMs,
          bodyTimeout: req.backstopMs,
        });
        await discard(res.body, req.maxResponseBytes);
        return { status: res.statusCode, headers: res.headers };
      } catch (err) {
        if (!(err instanceof PinnedConnectError)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Closes every pool (in-flight requests finish first). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }

  /** Pools currently open (a gauge for tests). */
  get size(): number {
    return this.pools.size;
  }

  private pool(target: CheckedTarget, address: string): Pool {
    const { url } = target;
    const key = `${url.origin}|${address}`;
    const existing = this.pools.get(key);
    if (existing) {
      this.pools.delete(key); // re-insert: most recently used last
      this.pools.set(key, existing);
      return existing;
    }
    const base = buildConnector({ timeout: this.opts.connectTimeoutMs ?? 10_000, ...(this.opts.ca === undefined ? {} : { ca: this.opts.ca }) });
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
    const port = Number(url.port || (protocol === 'https:' ? 443 : 80));
    const hook = this.opts.connectHook;
    const pool = new Pool(url.origin, {
      connections: this.opts.connections ?? 16,
      keepAliveTimeout: this.opts.keepAliveTimeoutMs ?? 30_000,
      pipelining: 1,
      connect: (options, callback) => {
        try {
          hook?.({ address, port, hostname: target.hostname, protocol });
        } catch (err) {
          callback(new PinnedConnectError(address, err), null);
          return;
        }
        // the pinned address replaces the name for the socket; `host` (and so SNI and the
        // certificate check, via undici's servername) stays the URL's
        base({ ...options, hostname: address }, (err, socket) => {
          if (err) callback(new PinnedConnectError(address, err), null);
          else callback(null, socket as NonNullable<typeof socket>);
        });
      },
    });
    this.pools.set(key, pool);
    const max = this.opts.maxPools ?? 256;
    while (this.pools.size > max) {
      const [oldestKey, oldest] = this.pools.entries().next().value as [string, Pool];
      this.pools.delete(oldestKey);
      void oldest.close().catch(() => oldest.destroy());
    }
    return pool;
  }
}

/** Reads and drops a response body up to `max` bytes; a longer one is cut (its socket closed). */
async function discard(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, max: number): Promise<void> {
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += chunk.length;
      if (seen > max) {
        body.destroy();
        return;
      }
    }
  } catch {
    // the status is what counts; a body cut short does not fail the attempt
  }
}
