import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, MemoryBus, MemoryHub, NullBus, publishSafely, runControlListener, runHeartbeat, safePublishFailures, wakeOn, type Bus, type WakeReason } from '../../src/bus/index.js';
import { take, until } from '../support/events.js';

const buses: Bus[] = [];
function pair(): [MemoryBus, MemoryBus] {
  const hub = new MemoryHub();
  const a = new MemoryBus({ name: 'a', hub, strict: true });
  const b = new MemoryBus({ name: 'b', hub, strict: true });
  buses.push(a, b);
  return [a, b];
}
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

describe('publishSafely', () => {
  it('publishes and reports success', async () => {
    const [a, b] = pair();
    const sub = b.subscribe('x.y');
    expect(await publishSafely(a, 'x.y', { k: 1 })).toBe(true);
    expect((await take(sub, 1))[0]?.payload).toEqual({ k: 1 });
  });

  it('never throws: a caller bug or a missing bus is counted and reported false', async () => {
    const [a] = pair();
    expect(await publishSafely(a, 'bad..topic', {})).toBe(false);
    expect(await publishSafely(a, 'ok.topic', [] as never)).toBe(false);
    expect(safePublishFailures(a)).toBe(2);
    expect(await publishSafely(null, 'ok.topic', {})).toBe(false);
  });
});

describe('runHeartbeat', () => {
  it('beats at once and then every interval with worker, ts and extras, until aborted', async () => {
    const [a, b] = pair();
    const clock = new FakeClock();
    const sub = b.subscribe('system.ingest.health');
    const ctl = new AbortController();
    let n = 0;
    const done = runHeartbeat(a, 'ingest', { signal: ctl.signal, intervalMs: 1000, clock, extra: () => ({ lines: ++n }) });
    const [first] = await take(sub, 1);
    expect(first?.type).toBe('health');
    expect(first?.payload).toMatchObject({ worker: 'ingest', lines: 1 });
    expect(typeof first?.payload.ts).toBe('number');
    await until(() => clock.pending === 1, 'heartbeat timer');
    clock.advance(1000);
    expect((await take(sub, 1))[0]?.payload).toMatchObject({ lines: 2 });
    ctl.abort();
    await done;
  });

  it('still beats when extra() throws', async () => {
    const [a, b] = pair();
    const sub = b.subscribe('system.ttp.health');
    const ctl = new AbortController();
    const done = runHeartbeat(a, 'ttp', {
      signal: ctl.signal,
      clock: new FakeClock(),
      extra: () => {
        throw new Error('boom');
      },
    });
    const [beat] = await take(sub, 1);
    expect(beat?.payload.worker).toBe('ttp');
    ctl.abort();
    await done;
  });
});

describe('runControlListener', () => {
  it('aborts the worker on {action: "stop"} and ignores other actions', async () => {
    const [a, b] = pair();
    const ctl = new AbortController();
    const listening = runControlListener(b, 'webhook', ctl);
    const watch = b.subscribe('system.webhook.control');
    await watch.ready;
    await a.publish('system.webhook.control', { action: 'start', requested_by: 'admin', ts: 1767225600 });
    await take(watch, 1);
    expect(ctl.signal.aborted).toBe(false);
    await a.publish('system.webhook.control', { action: 'stop', requested_by: 'admin', ts: 1767225600 });
    await listening;
    expect(ctl.signal.aborted).toBe(true);
  });

  it('ends when its signal aborts without a stop', async () => {
    const [, b] = pair();
    const ctl = new AbortController();
    const outer = new AbortController();
    const listening = runControlListener(b, 'ingest', ctl, { signal: outer.signal });
    outer.abort();
    await listening;
    expect(ctl.signal.aborted).toBe(false);
  });
});

describe('wakeOn', () => {
  async function next(it: AsyncIterator<WakeReason>): Promise<WakeReason | undefined> {
    const r = await it.next();
    return r.done ? undefined : r.value;
  }

  it('yields on a matching event, coalesces a burst into one wake, and polls when quiet', async () => {
    const [a, b] = pair();
    const clock = new FakeClock();
    const ctl = new AbortController();
    const it = wakeOn(b, ['credential.>'], 5000, { signal: ctl.signal, clock })[Symbol.asyncIterator]();
    const first = next(it);
    await until(() => clock.pending === 1, 'poll timer');
    for (let i = 0; i < 5; i++) await a.publish('credential.x', { i });
    expect(await first).toBe('event');
    // the burst arrived while the worker was busy: one wake pending at most
    await until(() => b.stats().delivered === 5, 'deliveries');
    const second = next(it);
    expect(await second).toBe('event');
    const third = next(it);
    await until(() => clock.pending === 1, 'poll timer');
    clock.advance(5000);
    expect(await third).toBe('poll');
    ctl.abort();
    expect(await next(it)).toBeUndefined();
  });

  it('yields `reconnected` on a reconnect and only polls on a null bus', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    const it = wakeOn(null, ['x.>'], 100, { signal: ctl.signal, clock })[Symbol.asyncIterator]();
    const p = next(it);
    await until(() => clock.pending === 1, 'poll timer');
    clock.advance(100);
    expect(await p).toBe('poll');
    ctl.abort();
    expect(await next(it)).toBeUndefined();

    class FlakyBus extends NullBus {
      bounce(): void {
        this.setState('reconnecting');
        this.setState('connected');
      }
    }
    const flaky = new FlakyBus({ name: 'flaky' });
    buses.push(flaky);
    await flaky.connect();
    const ctl2 = new AbortController();
    const it2 = wakeOn(flaky, ['x.>'], 60_000, { signal: ctl2.signal, clock })[Symbol.asyncIterator]();
    const q = next(it2);
    await until(() => clock.pending === 1, 'poll timer');
    flaky.bounce();
    expect(await q).toBe('reconnected');
    expect(flaky.stats().reconnects).toBe(1);
    ctl2.abort();
    await it2.return?.();
  });
});
