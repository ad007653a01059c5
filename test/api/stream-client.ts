/**
 * A small SSE client for the stream tests, on node:http so that a test controls the
 * reading: it can stop reading (a stalled client), resume, or drop the connection.
 * Every wait has the safety limit of support/events.ts (not a timing assertion).
 */
import { request, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import { afterEach, beforeEach } from 'vitest';
import { MemoryBus } from '../../src/bus/index.js';
import { until } from '../support/events.js';
import { startTestApi, type TestApi } from '../support/api.js';

export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly retry?: number;
  readonly comments: readonly string[];
}

function parseBlock(block: string): SseFrame {
  const comments: string[] = [];
  const f: { id?: string; event?: string; data?: string; retry?: number } = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') f.id = value;
    else if (field === 'event') f.event = value;
    else if (field === 'data') f.data = f.data === undefined ? value : `${f.data}\n${value}`;
    else if (field === 'retry') f.retry = Number(value);
  }
  return { ...f, comments };
}

export class SseClient {
  readonly frames: SseFrame[] = [];
  /** The first 4 KiB received, as text. */
  raw = '';
  ended = false;
  private rest = '';

  constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (this.raw.length < 4096) this.raw += chunk.slice(0, 4096 - this.raw.length);
      this.rest += chunk;
      let cut: number;
      while ((cut = this.rest.indexOf('\n\n')) !== -1) {
        this.frames.push(parseBlock(this.rest.slice(0, cut)));
        this.rest = this.rest.slice(cut + 2);
      }
    });
    const done = (): void => {
      this.ended = true;
    };
    res.on('end', done);
    res.on('close', done);
    res.on('error', done);
    req.on('error', done);
  }

  get headers(): IncomingHttpHeaders {
    return this.res.headers;
  }

  /** Event frames (those with `event:`), optionally of one name. */
  events(name?: string): SseFrame[] {
    return this.frames.filter((f) => f.event !== undefined && (name === undefined || f.event === name));
  }

  /** Parsed `data` of the event frames, skipping gap and error frames. */
  data(): Array<{ id: string; topic: string; type: string; ts: number; payload: Record<string, unknown> }> {
    return this.events()
      .filter((f) => f.event !== 'gap' && f.event !== 'error')
      .map((f) => JSON.parse(f.data ?? 'null') as { id: string; topic: string; type: string; ts: number; payload: Record<string, unknown> });
  }

  async waitFor(cond: (c: SseClient) => boolean, what: string): Promise<void> {
    await until(() => cond(this), what);
  }

  /** Waits for `n` event frames (gap and error frames included) in all. */
  async waitEvents(n: number, what = `${n} event frames`): Promise<SseFrame[]> {
    await this.waitFor((c) => c.events().length >= n, what);
    return this.events();
  }

  async waitEnd(): Promise<void> {
    await this.waitFor((c) => c.ended, 'the stream to end');
  }

  pause(): void {
    this.res.pause();
  }

  resume(): void {
    this.res.resume();
  }

  close(): void {
    this.req.destroy();
  }
}

export type OpenResult = { status: 200; client: SseClient } | { status: number; body: Record<string, unknown>; headers: IncomingHttpHeaders };

/** Opens `GET /api/v1/stream?<query>`; a 200 resolves with a client once the headers arrived. */
export function openRaw(t: TestApi, query: string, opts: { token?: string; headers?: Record<string, string>; paused?: boolean } = {}): Promise<OpenResult> {
  const url = new URL(`${t.url}/api/v1/stream${query === '' ? '' : `?${query}`}`);
  const headers: Record<string, string> = { accept: 'text/event-stream', ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent: false }, (res) => {
      if (res.statusCode === 200) {
        const client = new SseClient(req, res);
        if (opts.paused) client.pause();
        resolve({ status: 200, client });
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens a stream and waits until it is live: the first frame with an `id:` (the start
 * cursor or a gap) is sent once the subscriptions are routed and the cursor is fixed.
 */
export async function openStream(t: TestApi, query: string, opts: { token?: string; headers?: Record<string, string> } = {}): Promise<SseClient> {
  const r = await openRaw(t, query, opts);
  if (r.status !== 200 || !('client' in r)) throw new Error(`stream ${query} answered ${r.status}: ${JSON.stringify('body' in r ? r.body : '')}`);
  await r.client.waitFor((c) => c.frames.some((f) => f.id !== undefined), `stream ${query} to be live`);
  return r.client;
}

/** Mints a stream ticket with a Bearer token. */
export async function mintTicket(t: TestApi, token: string): Promise<string> {
  const r = await t.request('POST', '/api/v1/auth/sse-ticket', { token });
  if (r.status !== 200) throw new Error(`sse-ticket answered ${r.status}: ${JSON.stringify(r.body)}`);
  return (r.body as { ticket: string }).ticket;
}

/** The setup the HTTP stream tests share (fields are replaced before each test). */
export interface StreamFixture {
  t: TestApi;
  /** Tokens of a viewer (`eve`) and an admin (`root`). */
  viewer: string;
  admin: string;
  /** A bus on the API's hub to publish from. */
  peer: MemoryBus;
  /** Closes `c` after the test. */
  track<C extends { close(): void }>(c: C): C;
  /** Opens a stream (as the viewer unless a token is given), closed after the test. */
  live(query: string, opts?: Parameters<typeof openStream>[2]): Promise<SseClient>;
  /** Publishes on the peer (a topic outside the catalogue takes any object). */
  pub(topic: string, payload?: Record<string, unknown>): Promise<void>;
}

/** Registers the hooks: a fresh API, two users and a peer bus before each test; everything closed after. */
export function streamFixture(): StreamFixture {
  const open: { close(): void }[] = [];
  const fx = {
    track: <C extends { close(): void }>(c: C): C => {
      open.push(c);
      return c;
    },
    live: async (query: string, opts: Parameters<typeof openStream>[2] = {}) => fx.track(await openStream(fx.t, query, { token: fx.viewer, ...opts })),
    pub: (topic: string, payload: Record<string, unknown> = {}) => fx.peer.publish(topic as 'x.y', payload as never),
  } as StreamFixture;
  beforeEach(async () => {
    fx.t = await startTestApi();
    await fx.t.user('eve', 'viewer');
    await fx.t.user('root', 'admin');
    fx.viewer = await fx.t.login('eve');
    fx.admin = await fx.t.login('root');
    fx.peer = new MemoryBus({ name: 'peer', hub: fx.t.hub, strict: false });
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await fx.peer.close();
    await fx.t.close();
  });
  return fx;
}
