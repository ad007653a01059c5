/**
 * What `GET /api/v1/stream` delivers over real HTTP (eventplane.md §3): pattern
 * filtering, one frame per event, the viewer filter, keepalives on the clock, errors,
 * shutdown, and a stalled reader that must not slow a fast one (counted, not timed).
 */
import { describe, expect, it, vi } from 'vitest';
import { journalAndPublish } from '../../src/db/index.js';
import { until } from '../support/events.js';
import { openRaw, streamFixture, type SseClient } from './stream-client.js';

const fx = streamFixture();
const live = (query: string, token = fx.viewer): Promise<SseClient> => fx.live(query, { token });
const pub = fx.pub;

const credential = { secret_sha256: 'ab'.repeat(32), secret_kind: 'password', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' };

describe('filtering', () => {
  it('topics=attacker.> gets attacker events only, with the envelope as data', async () => {
    const c = await live('topics=attacker.>');
    await pub('decky.d1.traffic', { n: 1 });
    await pub('attacker.observation.ssh', { n: 2 });
    await pub('system.ingest.health', { worker: 'ingest', ts: 1 });
    await pub('attacker.scored', { n: 3 });
    await c.waitEvents(2);
    await pub('attacker.marker', { n: 4 });
    await c.waitEvents(3);
    expect(c.events().map((f) => f.event)).toEqual(['attacker.observation.ssh', 'attacker.scored', 'attacker.marker']);
    const [first] = c.data();
    expect(first).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), topic: 'attacker.observation.ssh', type: expect.any(String), ts: expect.any(Number), payload: { n: 2 } });
    expect(c.events()[0]?.id).toBeUndefined(); // live-only topics carry no cursor
  });

  it('several patterns: the union, one frame per event', async () => {
    const c = await live(`topics=${encodeURIComponent('attacker.>,attacker.scored,decky.*.traffic,*.scored')}`);
    await pub('attacker.scored', { n: 1 });
    await pub('decky.d1.traffic', { n: 2 });
    await pub('campaign.scored', { n: 3 });
    await pub('identity.formed', { n: 4 });
    await pub('attacker.observed', { n: 5 });
    await c.waitEvents(4);
    await pub('attacker.marker', {});
    await c.waitEvents(5);
    expect(c.data().map((d) => d.payload.n)).toEqual([1, 2, 3, 5, undefined]);
  });

  it('viewers never get system.*.control or smtp.> under >; admins do', async () => {
    const v = await live('topics=%3E');
    const a = await live('topics=%3E', fx.admin);
    await pub('system.api.control', { action: 'stop', requested_by: 'root', ts: 1 });
    await pub('smtp.probe.pending', { to: 'someone@example.com' });
    await pub('attacker.marker', {});
    await v.waitEvents(1);
    await a.waitEvents(3);
    expect(v.events().map((f) => f.event)).toEqual(['attacker.marker']);
    expect(a.events().map((f) => f.event)).toEqual(['system.api.control', 'smtp.probe.pending', 'attacker.marker']);
  });

  it('a fx.viewer pattern that overlaps forbidden topics streams the rest', async () => {
    const v = await live('topics=system.api.*');
    await pub('system.api.control', { action: 'stop', requested_by: 'root', ts: 1 });
    await pub('system.api.health', { worker: 'api', ts: 1 });
    await v.waitEvents(1);
    await pub('system.api.marker', {});
    await v.waitEvents(2);
    expect(v.events().map((f) => f.event)).toEqual(['system.api.health', 'system.api.marker']);
  });
});

describe('keepalive', () => {
  it('sends : keepalive after 15 s of clock time without a frame', async () => {
    const c = await live('topics=attacker.>');
    const keepalives = (): number => c.frames.filter((f) => f.comments.includes('keepalive')).length;
    expect(keepalives()).toBe(1); // the opening one
    fx.t.clock.advance(14_000);
    await pub('attacker.marker', {}); // a frame resets the quiet period
    await c.waitEvents(1);
    fx.t.clock.advance(14_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(keepalives()).toBe(1);
    fx.t.clock.advance(1_000);
    await c.waitFor(() => keepalives() === 2, 'a keepalive');
    fx.t.clock.advance(15_000);
    await c.waitFor(() => keepalives() === 3, 'another keepalive');
  });
});

describe('ending', () => {
  it('an error sends event: error and closes, and frees the slot', async () => {
    const streams: SseClient[] = [];
    for (let i = 0; i < 5; i++) streams.push(await live('topics=credential.>'));
    const spy = vi.spyOn(fx.t.db.repos.journal, 'readAfter').mockRejectedValueOnce(new Error('database went away'));
    await fx.t.db.write(async (tx) => journalAndPublish(tx, fx.peer, 'credential.captured', credential), { locks: ['events'] });
    await until(() => streams.some((s) => s.ended), 'one stream to fail');
    spy.mockRestore();
    const failed = streams.find((s) => s.ended) as SseClient;
    expect(failed.events('error').map((f) => JSON.parse(f.data ?? ''))).toEqual([{ message: 'Stream interrupted' }]);
    await live('topics=credential.>'); // the failed stream's slot is free again
    expect((await openRaw(fx.t, 'topics=credential.>', { token: fx.viewer })).status).toBe(429);
  });

  it('app.close() ends open streams', async () => {
    const a = await live('topics=attacker.>');
    const b = await live('topics=credential.>', fx.admin);
    await fx.t.api.app.close();
    await a.waitEnd();
    await b.waitEnd();
  });

  it('a bus that closes ends its streams', async () => {
    const c = await live('topics=attacker.>');
    await fx.t.bus.close();
    await c.waitEnd();
  });
});

describe('a stalled reader', () => {
  // 160 frames of ~128 KiB: 20 MiB, well past the ~4 MB the kernel buffers on loopback
  const N = 160;
  const blob = 'x'.repeat(128 * 1024);

  /** Paced by the fast client (the publisher must not outrun a reader that keeps up). */
  async function flood(fast: SseClient): Promise<void> {
    for (let i = 0; i < N; i++) {
      await pub('bulk.item', { i, blob });
      await fast.waitEvents(i + 1, `the fast client's event ${i}`);
    }
  }

  it('does not slow a fast one; when it reads again it gets a gap with the count', async () => {
    const fast = await live('topics=bulk.>');
    const slow = await live('topics=bulk.>');
    slow.pause();
    await flood(fast);
    expect(fast.data().map((d) => d.payload.i)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(fast.events('gap')).toEqual([]);
    slow.resume();
    const accounted = (): number => slow.data().length + slow.events('gap').reduce((n, f) => n + (JSON.parse(f.data ?? '{}') as { dropped: number }).dropped, 0);
    await slow.waitFor(() => accounted() === N, 'every event of the slow client received or counted');
    expect(slow.events('gap').length).toBeGreaterThan(0);
    const got = slow.data().map((d) => d.payload.i as number);
    expect(got).toEqual([...got].sort((x, y) => x - y)); // the newest survive, in order
    expect(got.at(-1)).toBe(N - 1);
  });

  it('is disconnected when it has not drained for 30 s, freeing its slot', async () => {
    const fast = await live('topics=bulk.>');
    const stalled: SseClient[] = [];
    for (let i = 0; i < 4; i++) stalled.push(await live('topics=bulk.>'));
    for (const s of stalled) s.pause();
    await flood(fast);
    expect((await openRaw(fx.t, 'topics=bulk.>', { token: fx.viewer })).status).toBe(429);
    fx.t.clock.advance(29_000);
    expect((await openRaw(fx.t, 'topics=bulk.>', { token: fx.viewer })).status).toBe(429);
    fx.t.clock.advance(1_000);
    // the server cut them: their slots are free (a paused client only sees the end once it reads)
    await until(async () => {
      const r = await openRaw(fx.t, 'topics=bulk.>', { token: fx.viewer });
      if ('client' in r) r.client.close();
      return r.status === 200;
    }, 'the stalled streams to be cut');
    for (const s of stalled) s.resume();
    for (const s of stalled) await s.waitEnd();
    expect(fast.ended).toBe(false);
    // all four slots are free (the probe's own slot frees once the server sees it close)
    for (let i = 0; i < 4; i++) {
      await until(async () => {
        const r = await openRaw(fx.t, 'topics=bulk.>', { token: fx.viewer });
        if ('client' in r) fx.track(r.client);
        return r.status === 200;
      }, `slot ${i + 1}`);
    }
  });
});
