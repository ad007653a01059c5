/**
 * Backpressure (spec/bus.md §3.6, CORRECTIONS #3.4): a peer that never reads fills Node's
 * and the kernel's buffers, then the broker's own bounded queue, which drops its oldest
 * frames and counts them; a connection full for longer than the slow-consumer limit is cut.
 * The clock is fake, so the cut happens exactly when the test moves time.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/bus/clock.js';
import type { Broker } from '../../../src/bus/broker/index.js';
import { bodyJson, type RawPeer } from '../../support/raw-peer.js';
import { until } from '../../support/events.js';
import { broker, peer, v2Peer } from './support.js';

const FILLER = 'f'.repeat(1000);

/**
 * Publishes numbered ~1 KiB events in batches until the stalled connection's queue is
 * stuck full (it has dropped, and the next frame would not fit); returns how many were sent.
 * A queue can also overflow within one burst and drain right after, so "has dropped" alone
 * is not "stuck".
 */
async function floodUntilStuck(b: Broker, pub: RawPeer, name: string): Promise<number> {
  let sent = 0;
  const { maxFrames, maxBytes } = limitsOf.get(b)!;
  const stuck = (): boolean => {
    const row = b.stats().per_connection.find((r) => r.name === name);
    return row !== undefined && row.dropped > 0 && (row.queued_frames === maxFrames || row.queued_bytes + 1200 > maxBytes);
  };
  while (!stuck()) {
    if (sent > 100_000) throw new Error('the queue is not stuck after 100k events: is the stalled peer reading?');
    for (let k = 0; k < 100; k++) pub.pub('flood.x', { payload: { i: sent++, filler: FILLER } });
    await until(() => b.stats().published === sent, 'the publisher to be read');
  }
  return sent;
}

const limitsOf = new WeakMap<Broker, { maxFrames: number; maxBytes: number }>();

async function limitedBroker(clock: FakeClock, maxFrames: number, maxBytes: number, slowConsumerMs?: number): Promise<Broker> {
  const b = await broker({ clock, maxPendingFrames: maxFrames, maxPendingBytes: maxBytes, ...(slowConsumerMs === undefined ? {} : { slowConsumerMs }) });
  limitsOf.set(b, { maxFrames, maxBytes });
  return b;
}

async function stalledSubscriber(b: Broker, name: string): Promise<RawPeer> {
  const p = await peer(b);
  await p.helloV2(name);
  await p.sub('flood.>');
  p.pause();
  return p;
}

describe('bounded outbound queue', () => {
  it('drops the oldest queued frames of a peer that does not read, counts them, keeps the newest', async () => {
    const clock = new FakeClock();
    // 256 frames: more than one read burst can route to a reading peer within a tick
    const b = await limitedBroker(clock, 256, 1 << 20);
    const slow = await stalledSubscriber(b, 'slow');
    const fast = await v2Peer(b, 'fast', 'flood.>');
    const pub = await v2Peer(b, 'pub');
    let sent = await floodUntilStuck(b, pub, 'slow');
    for (let k = 0; k < 50; k++) pub.pub('flood.x', { payload: { i: sent++, filler: FILLER } });
    await until(() => b.stats().published === sent, 'the last events to be routed');

    const row = b.stats().per_connection.find((r) => r.name === 'slow')!;
    expect(row.queued_frames).toBe(256);
    expect(row.dropped).toBeGreaterThan(0);
    expect(b.stats().dropped).toBe(row.dropped);
    // the reader is not affected by the stalled one
    const got = await fast.evts(sent);
    expect(got.map((f) => bodyJson<{ payload: { i: number } }>(f).payload.i)).toEqual(Array.from({ length: sent }, (_, i) => i));
    expect(b.stats().per_connection.find((r) => r.name === 'fast')?.dropped).toBe(0);

    // the stalled peer resumes: what it gets is in order, ends with the newest, and adds up
    slow.resume();
    const dropped = row.dropped;
    const received = await slow.evts(sent - dropped);
    const seq = received.map((f) => bodyJson<{ payload: { i: number } }>(f).payload.i);
    for (let k = 1; k < seq.length; k++) expect(seq[k]!).toBeGreaterThan(seq[k - 1]!);
    expect(seq.at(-1)).toBe(sent - 1);
    expect(seq.slice(-256)).toEqual(Array.from({ length: 256 }, (_, k) => sent - 256 + k));
    expect(b.stats().per_connection.find((r) => r.name === 'slow')).toMatchObject({ queued_frames: 0, queued_bytes: 0, dropped });
  });

  it('bounds the queue in bytes as well as in frames', async () => {
    const b = await limitedBroker(new FakeClock(), 65_536, 8192);
    await stalledSubscriber(b, 'slow');
    const pub = await v2Peer(b, 'pub');
    let sent = await floodUntilStuck(b, pub, 'slow');
    for (let k = 0; k < 100; k++) pub.pub('flood.x', { payload: { i: sent++, filler: FILLER } });
    await until(() => b.stats().published === sent, 'the last events to be routed');
    const row = b.stats().per_connection.find((r) => r.name === 'slow')!;
    expect(row.queued_bytes).toBeLessThanOrEqual(8192);
    expect(row.queued_frames).toBeGreaterThan(0);
    expect(row.queued_frames).toBeLessThan(10);
  });
});

describe('slow consumer', () => {
  it('is disconnected once full for longer than slowConsumerMs, and the broker goes on', async () => {
    const clock = new FakeClock();
    const b = await limitedBroker(clock, 4, 1 << 20, 5000);
    const slow = await stalledSubscriber(b, 'slow');
    const pub = await v2Peer(b, 'pub');
    const ok = await v2Peer(b, 'ok', 'after.>');
    await floodUntilStuck(b, pub, 'slow');
    clock.advance(4999);
    expect(b.stats().per_connection.map((r) => r.name)).toContain('slow');
    clock.advance(1);
    await until(() => !b.stats().per_connection.some((r) => r.name === 'slow'), 'the slow consumer to be gone');
    // a paused peer sees the EOF only once it reads again
    slow.resume();
    await slow.waitClosed();
    pub.pub('after.cut');
    expect((await ok.evts(1))[0]!.args).toBe('after.cut');
  });

  it('is not disconnected once its queue has drained again', async () => {
    const clock = new FakeClock();
    const b = await limitedBroker(clock, 4, 1 << 20, 5000);
    const slow = await stalledSubscriber(b, 'recovering');
    const pub = await v2Peer(b, 'pub');
    await floodUntilStuck(b, pub, 'recovering');
    clock.advance(2500);
    slow.resume();
    await until(() => b.stats().per_connection.find((r) => r.name === 'recovering')?.queued_frames === 0, 'the queue to drain');
    clock.advance(10_000);
    slow.send('PING');
    await slow.next((f) => f.verb === 'PONG', 'PONG');
    expect(slow.isClosed).toBe(false);
  });
});
