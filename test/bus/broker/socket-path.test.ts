/** The socket file (spec/bus.md §3.1, CORRECTIONS #3.10) and the broker lifecycle (§3.8). */
import { createServer } from 'node:net';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BrokerStartError, startBroker } from '../../../src/bus/broker/index.js';
import { FakeClock } from '../../../src/bus/clock.js';
import { until } from '../../support/events.js';
import { broker, peer, socketPath, tempDir, v2Peer } from './support.js';

async function startFails(path: string, home = tempDir()): Promise<BrokerStartError> {
  try {
    const b = await startBroker({ socketPath: path, home });
    await b.close();
  } catch (err) {
    expect(err).toBeInstanceOf(BrokerStartError);
    return err as BrokerStartError;
  }
  throw new Error('expected the broker to refuse to start');
}

/** A socket file nobody listens on: a hard link to a socket whose server then closed. */
async function staleSocket(path: string): Promise<void> {
  const live = join(tempDir(), 'live.sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(live, r));
  linkSync(live, path);
  await new Promise<void>((r) => server.close(() => r()));
  expect(lstatSync(path).isSocket()).toBe(true);
}

describe('socket path', () => {
  it('refuses to start where a live broker answers, and the first one keeps working', async () => {
    const first = await broker();
    const err = await startFails(first.socketPath);
    expect(err.message).toMatch(/already listening/);
    const sub = await v2Peer(first, 'sub', 'still.>');
    const pub = await v2Peer(first, 'pub');
    pub.pub('still.here');
    expect((await sub.evts(1))[0]!.args).toBe('still.here');
  });

  it('removes a stale socket and starts', async () => {
    const path = socketPath();
    await staleSocket(path);
    const b = await broker({ socketPath: path });
    const p = await v2Peer(b, 'ok');
    expect(p.isClosed).toBe(false);
  });

  it('never removes a regular file, a directory or a symlink at the path', async () => {
    const dir = tempDir();
    const file = join(dir, 'file.sock');
    writeFileSync(file, 'precious');
    expect((await startFails(file)).message).toMatch(/regular file.*never removes/);
    expect(readFileSync(file, 'utf8')).toBe('precious');

    const sub = join(dir, 'dir.sock');
    mkdirSync(sub);
    expect((await startFails(sub)).message).toMatch(/directory/);
    expect(statSync(sub).isDirectory()).toBe(true);

    const link = join(dir, 'link.sock');
    symlinkSync(file, link);
    expect((await startFails(link)).message).toMatch(/symbolic link/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('refuses a path over 107 bytes with a clear error', async () => {
    const dir = tempDir();
    const long = join(dir, 'x'.repeat(108 - dir.length - 1));
    expect(Buffer.byteLength(long)).toBe(108);
    const err = await startFails(long);
    expect(err.message).toMatch(/108 bytes.*at most 107/);
    const fits = join(dir, 'y'.repeat(107 - dir.length - 1));
    const b = await broker({ socketPath: fits });
    expect(existsSync(b.socketPath)).toBe(true);
  });

  it('creates a missing directory under $DECNET_HOME only', async () => {
    const home = join(tempDir(), 'home');
    const inside = join(home, 'run', 'bus.sock');
    const b = await broker({ socketPath: inside, home });
    expect(lstatSync(inside).isSocket()).toBe(true);
    await b.close();

    const outside = join(tempDir(), 'missing', 'bus.sock');
    const err = await startFails(outside, home);
    expect(err.message).toContain(join(outside, '..'));
    expect(err.message).toMatch(/DECNET_HOME/);
    expect(existsSync(join(outside, '..'))).toBe(false);
  });

  it('sets mode 0660, chgrps to an existing group, and only logs an unknown group', async () => {
    const gid = process.getgid!();
    const b = await broker({ group: String(gid) });
    const st = statSync(b.socketPath);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(gid);

    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const c = await broker({ group: 'no-such-group-decnet-test', log });
    expect(statSync(c.socketPath).mode & 0o777).toBe(0o660);
    expect(lines.some((l) => l.group === 'no-such-group-decnet-test')).toBe(true);
  });
});

describe('lifecycle', () => {
  it('close() stops accepting, closes connections, unlinks the socket; idempotent', async () => {
    const b = await broker();
    const p = await v2Peer(b, 'p', 'x.>');
    await Promise.all([b.close(), b.close()]);
    await b.closed;
    await p.waitClosed();
    expect(existsSync(b.socketPath)).toBe(false);
    await expect(peer(b.socketPath)).rejects.toThrow();
  });

  it('flushes what is queued to a reading peer before closing', async () => {
    const b = await broker();
    const sub = await v2Peer(b, 'sub', 'flush.>');
    const pub = await v2Peer(b, 'pub');
    const N = 3000;
    for (let i = 0; i < N; i++) pub.pub('flush.x', { payload: { i, pad: 'p'.repeat(200) } });
    await until(() => b.stats().published === N, 'the publisher to be read');
    await b.close();
    await sub.waitClosed();
    expect(sub.frames.filter((f) => f.verb === 'EVT')).toHaveLength(N);
  });

  it('gives a peer that does not read 1 s (on the clock) and then closes anyway', async () => {
    const clock = new FakeClock();
    const b = await broker({ clock, maxPendingFrames: 16 });
    const stalled = await v2Peer(b, 'stalled', 'flood.>');
    stalled.pause();
    const pub = await v2Peer(b, 'pub');
    let sent = 0;
    while ((b.stats().per_connection.find((r) => r.name === 'stalled')?.queued_frames ?? 0) === 0) {
      for (let k = 0; k < 100; k++) pub.pub('flood.x', { payload: { i: sent++, pad: 'p'.repeat(1000) } });
      await until(() => b.stats().published === sent, 'the publisher to be read');
    }
    let done = false;
    const closing = b.close().then(() => (done = true));
    await until(() => b.stats().per_connection.length === 1, 'the reading peer to be closed');
    expect(done).toBe(false);
    clock.advance(1000);
    await closing;
    expect(existsSync(b.socketPath)).toBe(false);
  });

  it('shuts down when its AbortSignal aborts', async () => {
    const ac = new AbortController();
    const b = await broker({ signal: ac.signal });
    ac.abort();
    await b.closed;
    expect(existsSync(b.socketPath)).toBe(false);
  });

  it('refuses bad option values', async () => {
    await expect(startBroker({ socketPath: socketPath(), home: tempDir(), maxPendingFrames: 0 })).rejects.toThrow(/maxPendingFrames/);
    await expect(startBroker({ socketPath: socketPath(), home: tempDir(), heartbeatMs: -1 })).rejects.toThrow(/heartbeatMs/);
  });
});
