/**
 * `decnet bus --bridge URL --export … --import …` as an operator runs it: the built CLI
 * in a child process, its socket in a temp directory, the real nats-server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnixBus } from '../../../src/bus/index.js';
import { take, until } from '../../support/events.js';
import { deleteStreams, ensureDist, NATS_URL, requireNats, rawClient, REPO, uniq } from '../../support/nats.js';

const BIN = join(REPO, 'bin/decnet.js');
await requireNats();

/** The child's environment: its own home, and a stream and durable set of its own (never DECNET_EVENTS). */
function env(home: string, root = 'unused'): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DECNET_HOME: home, DECNET_LOG_LEVEL: 'warn', DECNET_NATS_STREAM: `S_${root}`, DECNET_DURABLE_TOPICS: `${root}.>` };
  delete e.DECNET_BUS_SOCKET;
  return e;
}

describe('decnet bus --bridge', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  beforeAll(() => ensureDist(['dist/src/cli/main.js', 'dist/src/cli/bus.js', 'dist/src/bus/bridge/bridge.js']), 180_000);
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('refuses --export without --bridge, and a bad pattern, as usage errors', () => {
    const home = mkdtempSync(join(tmpdir(), 'dcli-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const sock = join(home, 'b.sock');
    const a = spawnSync(process.execPath, [BIN, 'bus', '--socket', sock, '--export', 'a.>'], { env: env(home), encoding: 'utf8' });
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/need --bridge/);
    const b = spawnSync(process.execPath, [BIN, 'bus', '--socket', sock, '--bridge', NATS_URL, '--export', 'a..b'], { env: env(home), encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/invalid topic "a\.\.b"/);
    const c = spawnSync(process.execPath, [BIN, 'bus', '--socket', sock, '--bridge', 'http://x', '--import', 'a.>'], { env: env(home), encoding: 'utf8' });
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/DECNET_NATS_URL/);
  });

  it('runs the broker with a bridge: exports and imports both ways, then stops cleanly on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dcli-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const sock = join(home, 'b.sock');
    const root = uniq('cli');
    cleanups.push(() => deleteStreams(`S_${root}`)); // the bridge ensures the durable-topics stream
    const child: ChildProcess = spawn(process.execPath, [BIN, 'bus', '--socket', sock, '--bridge', NATS_URL, '--export', `${root}.out.>`, '--import', `${root}.in.>`], { env: env(home, root), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    await until(() => /bridging to/.test(stderr), 'the bridge to start', 15_000);

    const nc = await rawClient();
    cleanups.push(() => nc.close());
    const fromHost: string[] = [];
    nc.subscribe(`${root}.>`, { callback: (_e, m) => void fromHost.push(m.string()) });
    await nc.flush();
    const local = new UnixBus({ name: 'cli-test', socketPath: sock });
    cleanups.push(() => local.close());
    const sub = local.subscribe(`${root}.in.>`);
    await sub.ready;

    await local.publish(`${root}.out.x`, { dir: 'out' });
    await until(() => fromHost.length === 1, 'the export on NATS');
    expect(JSON.parse(fromHost[0] ?? '{}')).toMatchObject({ topic: `${root}.out.x`, payload: { dir: 'out' } });

    // the import SUB may still be on its way: publish until it lands (the bridge imports an id once)
    const id = 'ab'.repeat(16);
    const body = JSON.stringify({ v: 1, id, topic: `${root}.in.x`, type: '', ts: 1700000003.5, payload: { dir: 'in' } });
    const pump = setInterval(() => nc.publish(`${root}.in.x`, body), 25);
    try {
      const [ev] = await take(sub, 1);
      expect(ev).toMatchObject({ id, ts: 1700000003.5, payload: { dir: 'in' } });
    } finally {
      clearInterval(pump);
    }

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
