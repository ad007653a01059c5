/**
 * bench:api — `GET /api/v1/workers` latency and SSE fan-out to 100 clients over
 * 20 users at 1,000 events/s (CORRECTIONS "Across" 5: target p99 < 5 ms), on a
 * real listener with SQLite and the in-process bus.
 *
 * The clients run in forked processes (bench/api/clients.ts), so their parsing does
 * not compete with the server for its event loop; they report latencies over IPC.
 * This process runs the API and the publisher only. Latency is the client's arrival
 * time minus the publish time in the payload (clocks of one machine agree).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApi, hashPassword } from '../src/api/index.js';
import { MemoryBus, MemoryHub, silentLogger, systemClock } from '../src/bus/index.js';
import { loadConfig } from '../src/config/index.js';
import { openDatabase } from '../src/db/index.js';
import { nowMs, type FromClients, type ToClients } from './api/protocol.js';
import { percentile, progress, readFlags, report, round } from './harness.js';

const flags = readFlags();
const USERS = 20;
const CLIENTS = 100;
const RATE = 1000; // events/s
const SSE_SECONDS = flags.quick ? 3 : 10;
const WORKER_REQUESTS = flags.quick ? 500 : 3000;
/** Client processes the 100 streams are spread over (the machine may have 2 cores: one is the server's). */
const CLIENT_PROCS = 1;
/** After the last publish, wait at most this long for the clients to get everything (ms). */
const DRAIN_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Waiter {
  readonly type: FromClients['type'];
  readonly resolve: (msg: FromClients) => void;
  readonly reject: (err: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** A forked client process, and a way to wait for its next message of one type. */
class Clients {
  private readonly waiters = new Set<Waiter>();
  private failure: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (raw: unknown) => {
      const msg = raw as FromClients;
      if (msg.type === 'error') return this.fail(new Error(`client process: ${msg.message}`));
      for (const w of this.waiters) {
        if (w.type !== msg.type) continue;
        this.settle(w);
        w.resolve(msg);
        return;
      }
    });
    child.on('exit', (code) => this.fail(new Error(`client process exited (${code})`)));
  }

  static start(): Clients {
    const file = fileURLToPath(new URL('./api/clients.js', import.meta.url));
    return new Clients(fork(file, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  }

  send(msg: ToClients): void {
    this.child.send(msg);
  }

  next<T extends FromClients['type']>(type: T, timeoutMs = 60_000): Promise<Extract<FromClients, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        type,
        resolve: (msg) => resolve(msg as Extract<FromClients, { type: T }>),
        reject,
        timer: setTimeout(() => {
          this.settle(w);
          reject(new Error(`client process: no ${type} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Ends the process (it exits when the channel closes); pending waits are dropped. */
  stop(): void {
    this.child.removeAllListeners('exit');
    for (const w of [...this.waiters]) this.settle(w);
    if (this.child.connected) this.child.disconnect();
  }

  private settle(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of [...this.waiters]) {
      this.settle(w);
      w.reject(err);
    }
  }
}

function concat(parts: readonly Float64Array[]): number[] {
  const out: number[] = [];
  for (const p of parts) for (const v of p) out.push(v);
  return out;
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'dn-bench-api-'));
  const config = loadConfig({ env: { DECNET_HOME: home, DECNET_BUS_TYPE: 'memory' } });
  const db = await openDatabase({ home, clock: systemClock, log: silentLogger });
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'bench-api', hub });
  const publisher = new MemoryBus({ name: 'bench-pub', hub });
  const { app, ctx } = buildApi({ config, db, bus, clock: systemClock, log: silentLogger, jwtKey: randomBytes(32) });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const procs = Array.from({ length: CLIENT_PROCS }, () => Clients.start());
  try {
    progress(`api: creating ${USERS} users`);
    // tokens straight from the signer: logins (scrypt) are not what is measured, and cost seconds
    const hash = await hashPassword('bench password 1234');
    const tokens: string[] = [];
    for (let u = 0; u < USERS; u++) {
      const user = await db.repos.users.create({ username: `bench${u}`, passwordHash: hash, role: 'viewer', mustChangePassword: false });
      tokens.push((await ctx.tokens.issue(user.id, user.role, user.tokensValidFrom)).token);
    }
    const first = procs[0] as Clients;

    progress(`api: ${WORKER_REQUESTS} × GET /api/v1/workers (from a client process)`);
    first.send({ type: 'workers', base, tokens, requests: WORKER_REQUESTS });
    const w = await first.next('workers-done');
    if (w.failures > 0) throw new Error(`workers: ${w.failures} requests failed`);
    const lat = [...w.latencies];
    const workersRow = { scenario: 'workers_list', requests: WORKER_REQUESTS, requests_per_s: Math.round(WORKER_REQUESTS / (w.elapsedMs / 1000)), p50_ms: round(percentile(lat, 50)), p99_ms: round(percentile(lat, 99)) };
    progress(`api: workers list ${workersRow.requests_per_s}/s p50 ${workersRow.p50_ms} ms p99 ${workersRow.p99_ms} ms`);

    progress(`api: SSE fan-out to ${CLIENTS} clients (${CLIENT_PROCS} process${CLIENT_PROCS === 1 ? '' : 'es'}) at ${RATE} events/s for ${SSE_SECONDS} s`);
    const total = RATE * SSE_SECONDS;
    const ready = procs.map((p) => p.next('sse-ready'));
    procs.forEach((p, k) => {
      const mine = Array.from({ length: CLIENTS }, (_, i) => i).filter((i) => i % CLIENT_PROCS === k);
      p.send({ type: 'sse-open', base, path: '/api/v1/stream?topics=bench.>', tokens: mine.map((i) => tokens[i % USERS] as string), expected: total });
    });
    await Promise.all(ready); // every stream is subscribed and has its cursor
    const complete = Promise.all(procs.map((p) => p.next('sse-complete', 600_000)));
    complete.catch(() => undefined); // raced with a timeout below; a failure shows in sse-result
    const pad = 'x'.repeat(64);
    const cpu0 = process.cpuUsage();
    const start = nowMs();
    // publish what is due, then yield to I/O until the next one is due
    for (let i = 0; i < total; ) {
      const now = nowMs();
      while (i < total && start + (i * 1000) / RATE <= now) {
        await publisher.publish('bench.fanout', { i, t: nowMs(), pad });
        i++;
      }
      if (i < total) await sleep(Math.max(0, start + (i * 1000) / RATE - nowMs()));
    }
    await Promise.race([complete, sleep(DRAIN_MS)]);
    const elapsed = (nowMs() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const results = procs.map((p) => p.next('sse-result'));
    for (const p of procs) p.send({ type: 'sse-stop' });
    const parts = await Promise.all(results);
    const received = parts.reduce((n, r) => n + r.received, 0);
    const latencies = concat(parts.map((r) => r.latencies));
    const expected = total * CLIENTS;
    const sseRow = {
      scenario: 'sse_fanout',
      clients: CLIENTS,
      users: USERS,
      client_processes: CLIENT_PROCS,
      offered_per_s: RATE,
      published: total,
      delivered_per_s: Math.round(received / elapsed),
      loss: round(1 - received / expected, 5),
      gaps: parts.reduce((n, r) => n + r.gaps, 0),
      duplicates: parts.reduce((n, r) => n + r.duplicates, 0),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      // CPU over the fan-out, % of one core (this process: the API and the publisher); less noisy than latency on a shared machine
      server_cpu_pct: round(((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100, 1),
      client_cpu_pct: round((parts.reduce((n, r) => n + r.cpuMs, 0) / (elapsed * 1000)) * 100, 1),
    };
    progress(`api: SSE delivered ${received}/${expected}, p50 ${sseRow.p50_ms} ms p99 ${sseRow.p99_ms} ms; CPU server ${sseRow.server_cpu_pct} % clients ${sseRow.client_cpu_pct} %`);
    report('api', [workersRow, sseRow], { targets: { p99_ms_max: 5, workers_list_pass: workersRow.p99_ms < 5, sse_fanout_pass: sseRow.p99_ms < 5 && sseRow.loss === 0 } });
  } finally {
    for (const p of procs) p.stop();
    await app.close();
    await Promise.all([bus.close(), publisher.close()]);
    await db.close();
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
