/** The broker heartbeat (spec/bus.md §3.7, CORRECTIONS #3.1) and the stop on system.bus.control (#3.6). */
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/bus/clock.js';
import { startHeartbeat } from '../../../src/bus/broker/heartbeat.js';
import { busHealthSchema } from '../../../src/bus/topics/schemas/system.js';
import { bodyJson } from '../../support/raw-peer.js';
import { broker, v2Peer } from './support.js';

describe('startHeartbeat', () => {
  it('beats at start, then every interval, survives a throwing beat, and stops', () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (s: string) => void lines.push(s) });
    let beats = 0;
    const hb = startHeartbeat({
      clock,
      intervalMs: 10_000,
      log,
      beat: () => {
        beats++;
        if (beats === 2) throw new Error('boom');
      },
    });
    expect(beats).toBe(1);
    clock.advance(9_999);
    expect(beats).toBe(1);
    clock.advance(1);
    expect(beats).toBe(2);
    expect(lines).toHaveLength(1);
    clock.advance(10_000);
    expect(beats).toBe(3);
    hb.stop();
    clock.advance(100_000);
    expect(beats).toBe(3);
    expect(clock.pending).toBe(0);
  });
});

describe('broker heartbeat', () => {
  it('publishes system.bus.health every interval with the stats payload', async () => {
    const clock = new FakeClock(Date.UTC(2026, 4, 1) + 0.5);
    const b = await broker({ clock });
    const sub = await v2Peer(b, 'watcher', 'system.*.health');
    const pub = await v2Peer(b, 'pub');
    pub.pub('x.y');
    pub.pub('a..b');
    await pub.next((f) => f.verb === 'ERR');
    clock.advance(9_999);
    clock.advance(1); // default interval: 10 s
    const [e] = await sub.evts(1, 'system.bus.health');
    const env = bodyJson<Record<string, unknown> & { payload: Record<string, unknown> }>(e!);
    expect(env).toMatchObject({ v: 1, topic: 'system.bus.health', type: 'bus.health', ts: clock.now() / 1000 });
    expect(env.id).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(env.payload)).toEqual(['worker', 'pid', 'uptime_sec', 'ts', 'connections', 'subscriptions', 'published', 'delivered', 'dropped', 'refused']);
    expect(env.payload).toEqual({
      worker: 'bus',
      pid: process.pid,
      uptime_sec: 10,
      ts: clock.now() / 1000,
      connections: 2,
      subscriptions: 1,
      published: 1,
      delivered: 0,
      dropped: 0,
      refused: 1,
    });
    expect(busHealthSchema.safeParse(env.payload).success).toBe(true);
    clock.advance(10_000);
    const [e2] = await sub.evts(1, 'system.bus.health');
    expect(bodyJson<{ payload: { uptime_sec: number; delivered: number } }>(e2!).payload).toMatchObject({ uptime_sec: 20, delivered: 1 });
    expect(bodyJson(e2!).id).not.toBe(env.id);
  });

  it('honours --heartbeat (heartbeatMs)', async () => {
    const clock = new FakeClock();
    const b = await broker({ clock, heartbeatMs: 2_000 });
    const sub = await v2Peer(b, 'watcher', 'system.bus.health');
    clock.advance(2_000);
    clock.advance(2_000);
    expect(await sub.evts(2, 'system.bus.health')).toHaveLength(2);
  });
});

describe('system.bus.control', () => {
  it('{action:"stop"} shuts the broker down like SIGTERM; the stop event still reaches subscribers', async () => {
    const b = await broker();
    const watcher = await v2Peer(b, 'watcher', 'system.bus.control');
    const admin = await v2Peer(b, 'admin');
    admin.pub('system.bus.control', { type: 'control', payload: { action: 'start', requested_by: 'test', ts: 1 } });
    await watcher.evts(1);
    expect(existsSync(b.socketPath)).toBe(true);
    admin.pub('system.bus.control', { type: 'control', payload: { action: 'stop', requested_by: 'test', ts: 2 } });
    await b.closed;
    const [e] = await watcher.evts(1);
    expect(bodyJson<{ payload: { action: string } }>(e!).payload.action).toBe('stop');
    await watcher.waitClosed();
    await admin.waitClosed();
    expect(existsSync(b.socketPath)).toBe(false);
  });

  it('ignores a control event that is not JSON-shaped as expected', async () => {
    const b = await broker();
    const admin = await v2Peer(b, 'admin', 'system.bus.control');
    const other = await v2Peer(b, 'other', 'system.bus.control');
    admin.pub('system.bus.control', { payload: { action: ['stop'] } });
    admin.pub('system.bus.control', '{}');
    await other.evts(2);
    // a later round trip: the broker is still up and serving
    admin.send('PING');
    await admin.next((f) => f.verb === 'PONG');
    expect(b.stats().connections).toBe(2);
  });
});
