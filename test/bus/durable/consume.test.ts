/**
 * `bus.durable()`: honestly at-most-once on memory (and every BaseBus transport), and
 * at-least-once on NATS with explicit acks and redelivery after the ack wait. NATS
 * tests own their stream, subject root and durable names, and delete them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusConfigError, MemoryBus, MemoryHub, NatsBus, TopicError, type DurableMessage, type DurableSubscription } from '../../../src/bus/index.js';
import { consumerName } from '../../../src/bus/durable/index.js';
import { until } from '../../support/events.js';
import { deleteStreams, NATS_URL, requireNats, rawClient, startProxy, testStream, uniq } from '../../support/nats.js';

/** Takes `n` messages from a durable subscription (fails after a safety limit). */
async function takeDurable(sub: DurableSubscription, n: number, safetyMs = 10_000): Promise<DurableMessage[]> {
  const out: DurableMessage[] = [];
  const it = sub[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took ${out.length} of ${n} durable messages`)), safetyMs);
  });
  try {
    while (out.length < n) {
      const r = await Promise.race([it.next(), limit]);
      if (r.done) throw new Error(`durable ${sub.name} ended after ${out.length} of ${n}`);
      out.push(r.value);
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

describe('durable() on memory: at-most-once', () => {
  it('yields each event once across overlapping patterns, with a no-op ack, and ends with the bus', async () => {
    const hub = new MemoryHub();
    const a = new MemoryBus({ name: 'a', hub });
    const b = new MemoryBus({ name: 'b', hub });
    const d = b.durable('worker', ['mem.>', 'mem.*.x']);
    expect(d.guarantee).toBe('at-most-once');
    expect(d.patterns).toEqual(['mem.>', 'mem.*.x']);
    await d.ready;
    await a.publish('mem.1.x', { i: 1 });
    await a.publish('mem.2', { i: 2 });
    const got = await takeDurable(d, 2);
    expect(got.map((m) => m.event.payload.i)).toEqual([1, 2]);
    expect(got[0]?.redelivered).toBe(false);
    await expect(got[0]?.ack()).resolves.toBeUndefined();
    const rest = (async () => {
      const left: DurableMessage[] = [];
      for await (const m of d) left.push(m);
      return left;
    })();
    await b.close();
    expect(await rest).toEqual([]);
    await a.close();
    expect(() => b.durable('again', 'mem.>')).toThrow(/closed/);
  });

  it('refuses a bad name or pattern at once', () => {
    const bus = new MemoryBus({ name: 'x', hub: new MemoryHub() });
    expect(() => bus.durable('has space', 'a.>')).toThrow(RangeError);
    expect(() => bus.durable('ok', 'a..b')).toThrow(TopicError);
    expect(() => bus.durable('ok', [])).toThrow(RangeError);
  });
});

await requireNats();

describe('durable() on NATS: at-least-once', () => {
  const streams: string[] = [];
  const buses: NatsBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    await deleteStreams(...streams.splice(0));
  });
  const world = (ackWaitMs = 1000) => {
    const root = uniq('dur');
    const stream = testStream(root, ackWaitMs);
    streams.push(stream.name);
    const bus = (): NatsBus => {
      const b = new NatsBus({ name: uniq('b'), servers: NATS_URL, stream });
      buses.push(b);
      return b;
    };
    return { root, stream, bus };
  };

  it('refuses patterns outside the durable topics, naming the setting', () => {
    const { root, bus } = world();
    const b = bus();
    expect(() => b.durable('w', 'elsewhere.>')).toThrow(BusConfigError);
    expect(() => b.durable('w', 'elsewhere.>')).toThrow(/^DECNET_DURABLE_TOPICS: /);
    expect(() => b.durable('w', `${root}..x`)).toThrow(TopicError);
    expect(() => b.durable('w.x', `${root}.>`)).toThrow(RangeError);
  });

  it('delivers with ids kept; acked events are not redelivered, unacked ones are, after the ack wait', async () => {
    const { root, bus } = world(1000);
    const worker = bus();
    const name = uniq('w');
    const first = worker.durable(name, `${root}.>`);
    expect(first.guarantee).toBe('at-least-once');
    await first.ready;
    const pub = bus();
    const id = '12'.repeat(16);
    await pub.publish(`${root}.a`, { i: 0 }, { id, ts: 1700000001.25 });
    for (let i = 1; i < 4; i++) await pub.publish(`${root}.a`, { i });
    const got = await takeDurable(first, 4);
    expect(got.map((m) => m.event.payload.i)).toEqual([0, 1, 2, 3]);
    expect(got[0]?.event).toMatchObject({ id, ts: 1700000001.25, topic: `${root}.a` });
    await got[0]?.ack();
    await got[1]?.ack();
    await got[1]?.ack(); // idempotent
    await first.close(); // 2 and 3 stay unacked
    const again = worker.durable(name, `${root}.>`);
    const redo = await takeDurable(again, 2);
    expect(redo.map((m) => m.event.payload.i)).toEqual([2, 3]);
    expect(redo.every((m) => m.redelivered)).toBe(true);
    await Promise.all(redo.map((m) => m.ack()));
    await pub.publish(`${root}.a`, { i: 4 });
    const [next] = await takeDurable(again, 1);
    expect(next?.event.payload.i).toBe(4);
    expect(next?.redelivered).toBe(false);
    await next?.ack();
  });

  it('uses one consumer per pattern and yields an event matching two of them once, acking both', async () => {
    const { root, stream, bus } = world(30_000);
    const b = bus();
    const name = uniq('w');
    const d = b.durable(name, [`${root}.x.>`, `${root}.*.y`]);
    await d.ready;
    await b.publish(`${root}.x.y`, { both: true });
    await b.publish(`${root}.x.z`, { only: 'first' });
    const got = await takeDurable(d, 2);
    expect(got.map((m) => m.event.payload)).toEqual([{ both: true }, { only: 'first' }]);
    await Promise.all(got.map((m) => m.ack()));
    const nc = await rawClient();
    try {
      const jsm = await jetstreamManager(nc);
      const pending = async (): Promise<number[]> =>
        Promise.all([`${root}.x.>`, `${root}.*.y`].map(async (p) => {
          const info = await jsm.consumers.info(stream.name, consumerName(name, p));
          expect(info.config.filter_subject).toBe(p);
          return info.num_ack_pending + info.num_pending;
        }));
      let left = await pending();
      for (let i = 0; i < 100 && left.some((n) => n > 0); i++) {
        await new Promise((r) => setTimeout(r, 20));
        left = await pending();
      }
      expect(left).toEqual([0, 0]);
    } finally {
      await nc.close();
    }
  });

  it("deliver: 'all' replays what the stream held before the consumer existed; 'new' does not", async () => {
    const { root, bus } = world();
    const b = bus();
    await b.connect();
    const probe = b.durable(uniq('p'), `${root}.>`);
    await probe.ready; // the stream exists now
    await probe.close();
    await b.publish(`${root}.old`, { old: true });
    const fresh = b.durable(uniq('n'), `${root}.>`);
    const replay = b.durable(uniq('a'), `${root}.>`, { deliver: 'all' });
    await Promise.all([fresh.ready, replay.ready]);
    await b.publish(`${root}.new`, { old: false });
    expect((await takeDurable(replay, 2)).map((m) => m.event.payload.old)).toEqual([true, false]);
    expect((await takeDurable(fresh, 1)).map((m) => m.event.payload.old)).toEqual([false]);
  });

  it('keeps consuming across a reconnect of its connection', async () => {
    const { root, stream } = world(1000);
    const proxy = await startProxy();
    const worker = new NatsBus({ name: uniq('w'), servers: proxy.url, stream });
    buses.push(worker);
    const pub = new NatsBus({ name: uniq('p'), servers: NATS_URL, stream });
    buses.push(pub);
    try {
      const d = worker.durable(uniq('w'), `${root}.>`);
      await d.ready;
      await pub.publish(`${root}.e`, { i: 0 });
      const [m0] = await takeDurable(d, 1);
      await m0?.ack();
      proxy.cut();
      await pub.publish(`${root}.e`, { i: 1 }); // stored while the worker is away
      const [m1] = await takeDurable(d, 1, 20_000);
      expect(m1?.event.payload.i).toBe(1);
      await m1?.ack();
      await until(() => worker.stats().reconnects === 1, 'reconnect counted');
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('ends a durable iterator (without an error) when the bus closes, connected or not', async () => {
    const { root, bus } = world();
    const drainAll = async (d: DurableSubscription): Promise<number> => {
      let n = 0;
      for await (const m of d) n += m ? 1 : 0;
      return n;
    };
    const live = bus();
    const d1 = live.durable(uniq('w'), `${root}.>`);
    await d1.ready;
    const ended1 = drainAll(d1);
    const proxy = await startProxy();
    proxy.refuse(true);
    const never = new NatsBus({ name: uniq('n'), servers: proxy.url, stream: testStream(root) });
    const d2 = never.durable(uniq('w'), `${root}.>`);
    const ended2 = drainAll(d2);
    await Promise.all([live.close(), never.close()]);
    await expect(d2.ready).resolves.toBeUndefined();
    await proxy.close();
    expect(await ended1).toBe(0);
    expect(await ended2).toBe(0);
  });

  it('reports a durable that cannot start (its stream was refused) through ready and the iterator', async () => {
    const { root, stream, bus } = world();
    const first = bus();
    const probe = first.durable(uniq('p'), `${root}.>`);
    await probe.ready; // the test's stream owns `${root}.>` now
    const other = { ...stream, name: `${stream.name}_X` }; // a second stream on the same subjects is refused
    streams.push(other.name);
    const b = new NatsBus({ name: uniq('x'), servers: NATS_URL, stream: other });
    buses.push(b);
    const d = b.durable(uniq('w'), `${root}.>`);
    await expect(d.ready).rejects.toThrow(/stream not found/i);
    await expect((async () => {
      for await (const m of d) void m;
    })()).rejects.toThrow(/stream not found/i);
  });
});
