/**
 * A whole `decnet up` for end-to-end tests: a temporary DECNET_HOME, API port 0, the unix
 * bus in that home, the admin logged in over HTTP; one-off `decnet ingest --file` runs
 * beside it (CORRECTIONS #7.14), and a journal reader over `GET /api/v1/stream` that
 * replays from the start of the journal, so no event is missed however late it is opened.
 * Every wait has a generous safety limit that fails the test (never a timing assertion).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli, type Spawned } from './cli.js';

export const ADMIN_PASSWORD = 'a long admin passphrase';

/** How long a start, a tag or an event may take before the test fails. */
export const STACK_SAFETY_MS = 30_000;

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** An event as the stream sends it (the journal's envelope). */
export interface StreamEvent {
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

export interface JournalStream {
  /** Everything received so far, in journal order. */
  readonly events: readonly StreamEvent[];
  /** Resolves with the events of `topic` once there are at least `n` of them. */
  waitForCount(topic: string, n: number, safetyMs?: number): Promise<StreamEvent[]>;
  close(): void;
}

export interface Stack {
  readonly home: string;
  readonly env: Record<string, string>;
  /** `http://127.0.0.1:<port>`; routes are under /api/v1. */
  readonly base: string;
  readonly up: Spawned;
  /** An admin request under /api/v1; a string body goes as it is (set its content type). */
  request<T = unknown>(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<Reply<T>>;
  /** GET under /api/v1, failing on anything but 200. */
  get<T = unknown>(path: string): Promise<T>;
  /** Writes `lines` to a new file in the home and runs `decnet ingest --file` on it; returns its stdout. */
  ingest(lines: readonly string[], format: 'cowrie' | 'opencanary' | 'rfc5424'): Promise<string>;
  /** Opens a journal reader for `topics` (comma-separated bus patterns). */
  stream(topics: string): Promise<JournalStream>;
  /** Resolves once the ttp worker's heartbeat says it runs rules (its stores are started). */
  ttpReady(): Promise<void>;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | string>;
}

/** Polls `probe` (every 100 ms) until it returns a value, failing after the safety limit. */
export async function pollFor<T>(probe: () => Promise<T | undefined>, what: string, safetyMs = STACK_SAFETY_MS): Promise<T> {
  const deadline = Date.now() + safetyMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A Cowrie `cowrie.command.input` line, stamped now. */
export function cowrieCommand(ip: string, session: string, command: string, sensor = 'decky-01'): string {
  return JSON.stringify({ eventid: 'cowrie.command.input', input: command, message: `CMD: ${command}`, sensor, src_ip: ip, session, timestamp: new Date().toISOString() });
}

function parseFrame(block: string): { event?: string; data?: string } {
  const f: { event?: string; data?: string } = {};
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) f.event = line.slice(7);
    else if (line.startsWith('data: ')) f.data = f.data === undefined ? line.slice(6) : `${f.data}\n${line.slice(6)}`;
  }
  return f;
}

async function openStream(base: string, token: string, topics: string): Promise<JournalStream> {
  const abort = new AbortController();
  // last_event_id=0: replay the journal from its start, then follow it live
  const res = await fetch(`${base}/api/v1/stream?topics=${encodeURIComponent(topics)}&last_event_id=0`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET /stream answered ${res.status}: ${await res.text()}`);
  const events: StreamEvent[] = [];
  let failure: Error | undefined;
  const reader = res.body.getReader();
  void (async () => {
    const decoder = new TextDecoder();
    let rest = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = rest.indexOf('\n\n')) !== -1) {
          const f = parseFrame(rest.slice(0, cut));
          rest = rest.slice(cut + 2);
          if (f.event === 'error' || f.event === 'gap') failure = new Error(`the stream sent ${f.event}: ${f.data ?? ''}`);
          else if (f.event !== undefined && f.data !== undefined) events.push(JSON.parse(f.data) as StreamEvent);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    waitForCount: (topic, n, safetyMs = STACK_SAFETY_MS) =>
      pollFor(
        () => {
          if (failure) return Promise.reject(failure);
          const of = events.filter((e) => e.topic === topic);
          return Promise.resolve(of.length >= n ? of : undefined);
        },
        `${n} ${topic} events on the stream`,
        safetyMs,
      ),
    close: () => abort.abort(),
  };
}

/** Starts stacks and removes them (processes, streams, homes) in `cleanup()`, for afterEach. */
export class Stacks {
  private readonly spawned: Spawned[] = [];
  private readonly homes: string[] = [];
  private readonly streams: JournalStream[] = [];

  /** A fresh home and the environment every command of the stack runs with. */
  freshEnv(extra: Record<string, string> = {}): Record<string, string> {
    const home = mkdtempSync(join(tmpdir(), 'dn-e2e-'));
    this.homes.push(home);
    return {
      DECNET_HOME: home,
      DECNET_BUS_SOCKET: join(home, 'bus.sock'),
      DECNET_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DECNET_LOG_LEVEL: 'warn',
      DECNET_HEARTBEAT_SECS: '1',
      DECNET_INGEST_UDP: 'off',
      DECNET_INGEST_TCP: 'off',
      ...extra,
    };
  }

  /** Runs one CLI command to its end (killed in cleanup if it hangs). */
  run(args: string[], env: Record<string, string>): Spawned {
    const s = spawnCli(args, env);
    this.spawned.push(s);
    return s;
  }

  /** Starts `decnet up` on a fresh home; `extra` settings may name paths in that home. */
  async start(extra: Record<string, string> | ((home: string) => Record<string, string>) = {}): Promise<Stack> {
    const env = this.freshEnv();
    const home = env.DECNET_HOME as string;
    Object.assign(env, typeof extra === 'function' ? extra(home) : extra);
    const up = this.run(['up', '--port', '0'], env);
    const [, api] = await up.waitFor(/DECNET is up: API (http:\/\/[^/\s]+)\/api\/v1/, STACK_SAFETY_MS);
    const base = api as string;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    if (login.status !== 200) throw new Error(`admin login answered ${login.status}`);
    const token = ((await login.json()) as { access_token: string }).access_token;

    const request: Stack['request'] = async <T>(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...opts.headers };
      let body: string | undefined;
      if (opts.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      }
      const r = await fetch(`${base}/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await r.text();
      return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
    };
    const get = async <T>(path: string): Promise<T> => {
      const r = await request<T>('GET', path);
      if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body;
    };

    let feeds = 0;
    const ingest: Stack['ingest'] = async (lines, format) => {
      const dir = join(home, 'feeds');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `feed-${++feeds}.log`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const s = this.run(['ingest', '--file', file, '--format', format], env);
      const code = await s.exited;
      if (code !== 0 || !s.stdout.includes(`${lines.length} new lines`)) throw new Error(`decnet ingest exited ${code}; stdout: ${s.stdout}\nstderr: ${s.stderr}`);
      return s.stdout;
    };

    return {
      home,
      env,
      base,
      up,
      request,
      get,
      ingest,
      stream: async (topics) => {
        const s = await openStream(base, token, topics);
        this.streams.push(s);
        return s;
      },
      ttpReady: async () => {
        await pollFor(async () => {
          const { workers } = await get<{ workers: Array<{ name: string; status: string; extra: Record<string, unknown> }> }>('/workers');
          const ttp = workers.find((w) => w.name === 'ttp');
          return ttp?.status === 'ok' && Number(ttp.extra.rules_active) > 0 ? true : undefined;
        }, 'the ttp worker running its rules');
      },
      stop: async () => {
        up.child.kill('SIGINT');
        return up.exited;
      },
    };
  }

  async cleanup(): Promise<void> {
    for (const s of this.streams.splice(0)) s.close();
    for (const s of this.spawned.splice(0)) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
      // Ctrl-C first, so that a stack ends its workers; SIGKILL if it does not end
      s.child.kill('SIGINT');
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
      await s.exited;
      clearTimeout(timer);
    }
    for (const h of this.homes.splice(0)) rmSync(h, { recursive: true, force: true });
  }
}
