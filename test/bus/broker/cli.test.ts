/**
 * `decnet bus` and `decnet bus stats` as a user runs them: the built CLI in a child
 * process (Node 20 cannot run the .ts sources). `npm test` builds first; run alone, this
 * file builds when dist/ is missing or older than the sources it tests.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../support/events.js';
import { RawPeer } from '../../support/raw-peer.js';
import { onCleanup, socketPath, tempDir } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(ROOT, 'bin', 'decnet.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'bus.js');
/** Safety limits (not timing assertions): a loaded machine starts the whole CLI slowly. */
const STARTUP_SAFETY_MS = 30_000;
const CLI_TEST_MS = 60_000;

function newestSource(): number {
  const dirs = [join(ROOT, 'src', 'bus', 'broker'), join(ROOT, 'src', 'bus', 'codec'), join(ROOT, 'src', 'cli')];
  let newest = 0;
  for (const d of dirs) for (const f of readdirSync(d)) newest = Math.max(newest, statSync(join(d, f)).mtimeMs);
  return newest;
}

beforeAll(() => {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource()) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    // type errors elsewhere in the tree still emit; the check below decides
  }
  if (!existsSync(BUILT)) throw new Error('the CLI is not built (npx tsc -p tsconfig.build.json)');
}, 120_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(home: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DECNET_HOME: home };
  delete e.DECNET_BUS_SOCKET;
  delete e.DECNET_BUS_GROUP;
  return e;
}

function run(args: string[], home = tempDir()): Promise<Run> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { env: env(home), timeout: STARTUP_SAFETY_MS }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
      resolve({ code, stdout, stderr });
    });
  });
}

interface Daemon {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `decnet bus …` and waits for its status line. */
async function daemon(args: string[]): Promise<Daemon> {
  const child = spawn('node', [BIN, 'bus', ...args], { env: env(tempDir()), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await until(() => err.includes('listening on') || child.exitCode !== null, 'the broker status line', STARTUP_SAFETY_MS);
  return { child, stderr: () => err, exited };
}

describe('decnet bus', { timeout: CLI_TEST_MS }, () => {
  it('prints one status line, serves, and exits 0 on SIGTERM with the socket unlinked', async () => {
    const path = socketPath();
    const d = await daemon(['--socket', path, '--heartbeat', '0.2']);
    expect(d.stderr()).toBe(`decnet bus: listening on ${path} (pid ${d.child.pid})\n`);
    const p = await RawPeer.connect(path);
    onCleanup(() => p.destroy());
    await p.helloV2('cli-test');
    await p.sub('system.bus.health');
    const [beat] = await p.evts(1, 'system.bus.health');
    expect(JSON.parse(beat!.body.toString())).toMatchObject({ payload: { worker: 'bus', pid: d.child.pid } });
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(existsSync(path)).toBe(false);
    await p.waitClosed();
  });

  it('exits 0 on SIGINT, and on {action:"stop"} published on system.bus.control', async () => {
    const a = socketPath();
    const d1 = await daemon(['--socket', a]);
    d1.child.kill('SIGINT');
    expect(await d1.exited).toBe(0);
    expect(existsSync(a)).toBe(false);

    const b = socketPath();
    const d2 = await daemon(['--socket', b]);
    const admin = await RawPeer.connect(b);
    onCleanup(() => admin.destroy());
    admin.helloV1('admin');
    admin.pub('system.bus.control', { type: 'control', payload: { action: 'stop', requested_by: 'test', ts: 0 } });
    expect(await d2.exited).toBe(0);
    expect(existsSync(b)).toBe(false);
  });

  it('refuses to start over a live broker (exit 1, one line) and refuses bad flags (exit 2)', async () => {
    const path = socketPath();
    await daemon(['--socket', path]);
    const second = await run(['bus', '--socket', path]);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/already listening/);

    const bads = [['--heartbeat', '0'], ['--heartbeat', 'soon'], ['--socket', ''], ['unexpected']];
    const results = await Promise.all(bads.map((bad) => run(['bus', ...bad])));
    for (const [i, r] of results.entries()) expect(r.code, bads[i]!.join(' ')).toBe(2);
    const long = await run(['bus', '--socket', join(tempDir(), 'z'.repeat(120))]);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/at most 107 bytes/);
  });
});

describe('decnet bus stats', { timeout: CLI_TEST_MS }, () => {
  it('prints the figures as JSON and as a readable summary with per-connection rows', async () => {
    const path = socketPath();
    await daemon(['--socket', path]);
    const p = await RawPeer.connect(path);
    onCleanup(() => p.destroy());
    await p.helloV2('watcher');
    await p.sub('attacker.>');
    await p.sub('system.>');

    const j = await run(['bus', 'stats', '--socket', path, '--json']);
    expect(j.code).toBe(0);
    const stats = JSON.parse(j.stdout) as Record<string, unknown> & { per_connection: Array<Record<string, unknown>> };
    expect(stats).toMatchObject({ worker: 'bus', connections: 2, subscriptions: 2 });
    expect(stats.per_connection.find((r) => r.name === 'watcher')).toMatchObject({ proto: 2, patterns: 2, queued_bytes: 0, dropped: 0 });

    const h = await run(['bus', 'stats', '--socket', path]);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/connections 2 +subscriptions 2/);
    expect(h.stdout).toMatch(/^NAME +PROTO +PATTERNS +QUEUED_BYTES/m);
    expect(h.stdout).toMatch(/^watcher +v2 +2 +0/m);
  });

  it('fails in one line with exit 3 when no broker answers', async () => {
    const r = await run(['bus', 'stats', '--socket', socketPath()]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no broker answers/);
  });

  it('fails in one line with exit 3 against a v1-only broker that never answers HELLO', async () => {
    const path = socketPath();
    const server: Server = createServer((s) => s.on('data', () => {})); // reads, never answers
    await new Promise<void>((r) => server.listen(path, r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const r = await run(['bus', 'stats', '--socket', path]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/v1 only/);
  });
});
