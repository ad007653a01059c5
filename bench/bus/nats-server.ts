/**
 * Finding a nats-server for the comparison (performance.md: "where nats-server is
 * installed the bench runs it; otherwise it says it skipped NATS"). The one already
 * listening at the configured URL (BENCH_NATS_URL, default 127.0.0.1:4222) is used when
 * it answers; otherwise, when a `nats-server` binary is on the PATH, a private one is
 * started on a free port (no JetStream: core pub/sub is all the bench uses) and stopped
 * on exit; otherwise NATS is skipped.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { sleep } from './clock.js';
import { killOnExit } from './pool.js';
import { natsReachable } from './raw-nats.js';

export type NatsServer = { readonly url: string; readonly started: boolean } | { readonly url: null; readonly reason: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `nats-server` on a free local port; null when the binary is missing or it does not answer within 3 s. */
async function startPrivate(): Promise<string | null> {
  const port = await freePort();
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const failed = new Promise<null>((resolve) => proc.once('error', () => resolve(null)));
  killOnExit(proc);
  const url = `nats://127.0.0.1:${port}`;
  const up = (async () => {
    for (let i = 0; i < 30; i++) {
      if (proc.exitCode !== null) return null;
      if (await natsReachable(url)) return url;
      await sleep(100);
    }
    return null;
  })();
  const got = await Promise.race([up, failed]);
  if (got === null) proc.kill('SIGKILL');
  return got;
}

export async function findNatsServer(configured: string | undefined): Promise<NatsServer> {
  const url = configured ?? 'nats://127.0.0.1:4222';
  if (await natsReachable(url)) return { url, started: false };
  if (configured === undefined) {
    const own = await startPrivate();
    if (own !== null) return { url: own, started: true };
  }
  return { url: null, reason: 'nats-server not reachable' };
}
