/**
 * Test support for everything that talks to a real nats-server: the probe (a missing
 * server fails the run), names
 * unique to one test (JetStream state persists on the server: CORRECTIONS #4.5), stream
 * clean-up, and a TCP proxy that can cut or refuse connections to provoke reconnects.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { StreamSettings } from '../../src/bus/durable/settings.js';

export const NATS_URL = process.env.DECNET_TEST_NATS_URL?.trim() || 'nats://127.0.0.1:4222';

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url.includes('://') ? url : `nats://${url}`);
  return { host: u.hostname, port: Number(u.port || 4222) };
}

function probe(url: string, timeoutMs = 1500): Promise<boolean> {
  const { host, port } = hostPort(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('data', (b) => done(b.toString('latin1').startsWith('INFO ')));
    sock.once('error', () => done(false));
  });
}

/**
 * Resolves when nats-server answers; otherwise throws, so the file fails: a test of a real
 * boundary never passes by not running (`.ci/run` starts the server).
 */
export async function requireNats(): Promise<void> {
  if (!(await probe(NATS_URL))) throw new Error(`nats-server does not answer at ${NATS_URL}: start it (see .ci/run) — the NATS tests need the real server`);
}

let serial = 0;
/** A token no other test (or earlier run) uses: subject roots, stream and durable names. */
export function uniq(prefix: string): string {
  serial++;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}${serial}`;
}

/** Stream settings of a test's own: its own name, capturing only `<root>.>`. */
export function testStream(root: string, ackWaitMs = 30_000): StreamSettings {
  return { name: `S_${root}`, patterns: [`${root}.>`], maxAgeMs: 3_600_000, maxBytes: 64 * 1024 * 1024, ackWaitMs };
}

/** A plain client for checks and clean-up. */
export function rawClient(): Promise<NatsConnection> {
  return connect({ servers: NATS_URL, name: 'decnet-test' });
}

/** Deletes streams (and with them their consumers); missing ones are fine. */
export async function deleteStreams(...names: string[]): Promise<void> {
  const nc = await rawClient();
  try {
    const jsm = await jetstreamManager(nc);
    for (const n of names) await jsm.streams.delete(n).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** A TCP proxy in front of nats-server: `cut()` drops every link, `refuse(true)` keeps new ones out. */
export interface NatsProxy {
  readonly url: string;
  cut(): void;
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startProxy(target = NATS_URL): Promise<NatsProxy> {
  const { host, port } = hostPort(target);
  const links = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host, port });
    links.add(client);
    links.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      links.delete(client);
      links.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as net.AddressInfo;
  return {
    url: `nats://127.0.0.1:${addr.port}`,
    cut: () => {
      for (const s of [...links]) s.destroy();
    },
    refuse: (on) => {
      refusing = on;
    },
    close: async () => {
      refusing = true;
      for (const s of [...links]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const REPO = resolve(import.meta.dirname, '../..');

function newestUnder(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure dist/ holds a build of src/bus and src/cli at least as new as the sources
 * (Node 20 cannot run .ts, so spawned code runs the build). Test files that need it at
 * the same time take turns through a lock directory, so no child imports a half-written
 * file. Type errors elsewhere in the tree still emit; only missing outputs fail.
 */
export async function ensureDist(outputs: readonly string[]): Promise<void> {
  const files = outputs.map((o) => join(REPO, o));
  const fresh = (): boolean => {
    const newestSource = Math.max(newestUnder(join(REPO, 'src/bus')), newestUnder(join(REPO, 'src/cli')));
    return files.every((f) => existsSync(f) && statSync(f).mtimeMs >= newestSource);
  };
  const lock = join(tmpdir(), `decnet-build-${createHash('sha256').update(REPO).digest('hex').slice(0, 12)}.lock`);
  for (;;) {
    if (fresh()) return;
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true }); // left by a killed run
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (fresh()) return;
    const r = await new Promise<{ code: number | null; out: string }>((resolveRun) => {
      const child = spawn('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      child.on('close', (code) => resolveRun({ code, out }));
    });
    if (!files.every((f) => existsSync(f))) throw new Error(`npx tsc -p tsconfig.build.json did not emit ${outputs.join(', ')} (exit ${String(r.code)}):\n${r.out}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
