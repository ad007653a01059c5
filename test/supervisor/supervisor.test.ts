import { describe, expect, it } from 'vitest';
import { FakeClock, MemoryBus, MemoryHub, silentLogger } from '../../src/bus/index.js';
import { RestartPolicy, Supervisor } from '../../src/supervisor/index.js';
import { until } from '../support/events.js';

function flaky(): { run: (signal: AbortSignal) => Promise<void>; starts: number; crash: () => void } {
  let fail: ((err: Error) => void) | undefined;
  const state = {
    starts: 0,
    run: (signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        state.starts++;
        fail = reject;
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    crash: () => fail?.(new Error('boom')),
  };
  return state;
}

describe('RestartPolicy', () => {
  it('doubles from 1 s to 30 s with ±20 % jitter, resets after 60 s up, and fails after 5 crashes in 5 min', () => {
    const p = new RestartPolicy({ random: () => 0.5 });
    const delays = [0, 1, 2, 3].map((i) => p.onCrash(i * 1000, i * 1000));
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    expect(p.onCrash(5000, 5000)).toBeUndefined(); // 5th within the window
    const q = new RestartPolicy({ random: () => 0 });
    expect(q.onCrash(0, 0)).toBe(800);
    expect(q.onCrash(10 * 60_000, 10 * 60_000 - 61_000)).toBe(800); // up for 61 s: backoff reset
    const r = new RestartPolicy({ random: () => 1 });
    for (let i = 0; i < 3; i++) r.onCrash(i * 120_000, i * 120_000);
    expect(r.onCrash(400_000, 400_000)).toBeLessThanOrEqual(36_000);
  });
});

describe('Supervisor', () => {
  it('restarts a crashed worker after the backoff and counts it', async () => {
    const clock = new FakeClock();
    const sup = new Supervisor({ clock, log: silentLogger, restart: { random: () => 0.5 } });
    const w = flaky();
    sup.add({ name: 'ingest', run: w.run });
    await sup.startAll();
    expect(sup.state('ingest')).toEqual({ runState: 'running', restarts: 0, lastExit: null });
    w.crash();
    await until(() => sup.state('ingest')?.runState === 'backoff', 'backoff');
    expect(sup.state('ingest')?.lastExit).toBe('crashed: boom');
    clock.advance(1000);
    expect(sup.state('ingest')).toMatchObject({ runState: 'running', restarts: 1 });
    expect(w.starts).toBe(2);
    await sup.shutdown();
    expect(sup.state('ingest')?.runState).toBe('stopped');
  });

  it('holds a worker failed after five crashes until it is started again', async () => {
    const clock = new FakeClock();
    const sup = new Supervisor({ clock, log: silentLogger, restart: { random: () => 0.5 } });
    const w = flaky();
    sup.add({ name: 'ttp', run: w.run });
    await sup.startAll();
    for (let i = 0; i < 5; i++) {
      w.crash();
      await until(() => ['backoff', 'failed'].includes(sup.state('ttp')?.runState ?? ''), 'the crash to register');
      if (sup.state('ttp')?.runState === 'failed') break;
      clock.advance(30_000);
    }
    expect(sup.state('ttp')?.runState).toBe('failed');
    expect(await sup.start('ttp')).toBe('started');
    expect(sup.state('ttp')?.runState).toBe('running');
    await sup.shutdown();
  });

  it('a stop on the bus marks a worker stopped on purpose: never restarted', async () => {
    const clock = new FakeClock();
    const hub = new MemoryHub();
    const bus = new MemoryBus({ name: 'sup', hub });
    const peer = new MemoryBus({ name: 'peer', hub });
    const sup = new Supervisor({ clock, log: silentLogger });
    const w = flaky();
    sup.add({ name: 'webhook', run: w.run });
    sup.listen(bus);
    await sup.startAll();
    await peer.publish('system.webhook.control', { action: 'stop', requested_by: 'root', ts: 1 });
    await until(() => sup.state('webhook')?.runState === 'stopped', 'the stop');
    clock.advance(60_000);
    expect(w.starts).toBe(1);
    await peer.publish('system.webhook.control', { action: 'start', requested_by: 'root', ts: 2 });
    await until(() => sup.state('webhook')?.runState === 'running', 'the start');
    expect(w.starts).toBe(2);
    expect(await sup.start('webhook')).toBe('already_running');
    expect(await sup.start('canary')).toBe('not_installed');
    await sup.shutdown();
    await Promise.all([bus.close(), peer.close()]);
  });

  it('stops workers in reverse start order', async () => {
    const order: string[] = [];
    const sup = new Supervisor({ clock: new FakeClock(), log: silentLogger });
    for (const name of ['bus', 'api', 'ingest'] as const) {
      const run = (signal: AbortSignal): Promise<void> =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            order.push(name);
            resolve();
          }, { once: true });
        });
      sup.add({ name, run });
    }
    await sup.startAll();
    await sup.shutdown();
    expect(order).toEqual(['ingest', 'api', 'bus']);
  });
});
