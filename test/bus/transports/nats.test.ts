/**
 * The nats transport beyond the conformance suite: settings errors, state changes,
 * reconnects (provoked through a TCP proxy in front of the real server), the offline
 * buffer, the id header and close flushing. Streams are off unless a test owns one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { BusConfigError, BusUnavailableError, getBus, NatsBus, readBusEnv, type Bus, type StateChange } from '../../../src/bus/index.js';
import { take, until } from '../../support/events.js';
import { NATS_URL, requireNats, rawClient, startProxy, testStream, uniq, type NatsProxy } from '../../support/nats.js';

const noStream = { ...testStream('unused'), patterns: [] };

describe('nats transport settings', () => {
  const env = (extra: Record<string, string>) => readBusEnv({ DECNET_BUS_TYPE: 'nats', ...extra });

  it('reads the durable-topics settings with their defaults', () => {
    const s = env({});
    expect(s.natsUrl).toBe('nats://127.0.0.1:4222');
    expect(s.durableTopics).toEqual(['credential.>', 'ttp.>', 'canary.*.triggered', 'attacker.session.ended', 'email.received']);
    expect(s.natsStream).toBe('DECNET_EVENTS');
    expect(s.natsStreamMaxAgeHours).toBe(168);
    expect(s.natsStreamMaxBytes).toBe(1024 ** 3);
    expect(s.natsAckWaitSecs).toBe(30);
    const t = env({ DECNET_DURABLE_TOPICS: ' a.> , b.*.c,a.>', DECNET_NATS_STREAM: 'MINE_1', DECNET_NATS_STREAM_MAX_AGE_HOURS: '0', DECNET_NATS_ACK_WAIT_SECS: '2' });
    expect(t.durableTopics).toEqual(['a.>', 'b.*.c']);
    expect(t.natsStream).toBe('MINE_1');
    expect(t.natsStreamMaxAgeHours).toBe(0);
    expect(t.natsAckWaitSecs).toBe(2);
  });

  it('refuses bad settings naming the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ DECNET_DURABLE_TOPICS: 'credential.>,a..b' }, /^DECNET_DURABLE_TOPICS: .*"a\.\.b"/],
      [{ DECNET_DURABLE_TOPICS: 'a.>.b' }, /^DECNET_DURABLE_TOPICS/],
      [{ DECNET_NATS_STREAM: 'has.dot' }, /^DECNET_NATS_STREAM: /],
      [{ DECNET_NATS_STREAM_MAX_AGE_HOURS: '-1' }, /^DECNET_NATS_STREAM_MAX_AGE_HOURS: /],
      [{ DECNET_NATS_STREAM_MAX_BYTES: 'lots' }, /^DECNET_NATS_STREAM_MAX_BYTES: /],
      [{ DECNET_NATS_ACK_WAIT_SECS: '0' }, /^DECNET_NATS_ACK_WAIT_SECS: /],
    ];
    for (const [extra, msg] of cases) {
      expect(() => env(extra)).toThrow(BusConfigError);
      expect(() => env(extra)).toThrow(msg);
    }
  });

  it('refuses a bad URL, an unreadable creds file, and token with creds', () => {
    const make = (o: Partial<ConstructorParameters<typeof NatsBus>[0]>) => () => new NatsBus({ name: 't', servers: NATS_URL, stream: noStream, ...o });
    expect(make({ servers: 'http://127.0.0.1:4222' })).toThrow(/^DECNET_NATS_URL: /);
    expect(make({ servers: 'ws://127.0.0.1:4222' })).toThrow(/no websockets/);
    expect(make({ servers: ' , ' })).toThrow(/^DECNET_NATS_URL: /);
    expect(make({ servers: 'nats://host:4222/path' })).toThrow(/^DECNET_NATS_URL: /);
    expect(make({ credsFile: '/nonexistent/decnet.creds' })).toThrow(/^DECNET_NATS_CREDS: cannot read/);
    expect(make({ credsFile: '/etc/hostname' })).toThrow(/^DECNET_NATS_CREDS: .*not a NATS \.creds file/);
    expect(make({ credsFile: '/etc/hostname', token: 'x' })).toThrow(/^DECNET_NATS_TOKEN: /);
    expect(make({ servers: 'nats://a:4222, b:4223' })).not.toThrow();
  });

  it('getBus builds a NatsBus from the environment, streams settings included', async () => {
    const bus = getBus({ name: 'f', env: { DECNET_BUS_TYPE: 'nats', DECNET_NATS_URL: 'nats://127.0.0.1:1', DECNET_NATS_STREAM: 'X_1', DECNET_DURABLE_TOPICS: 'a.>', DECNET_NATS_ACK_WAIT_SECS: '3' } });
    expect(bus).toBeInstanceOf(NatsBus);
    expect((bus as NatsBus).stream).toMatchObject({ name: 'X_1', patterns: ['a.>'], ackWaitMs: 3000 });
    await bus.close();
    expect(() => getBus({ name: 'f', env: { DECNET_BUS_TYPE: 'nats', DECNET_NATS_URL: 'http://x' } })).toThrow(/DECNET_NATS_URL/);
  });
});

await requireNats();

describe('nats transport against the server', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });
  const bus = (opts: Partial<ConstructorParameters<typeof NatsBus>[0]> = {}): NatsBus => {
    const b = new NatsBus({ name: uniq('t'), servers: NATS_URL, stream: noStream, strict: true, ...opts });
    open.push(b);
    return b;
  };
  const proxy = async (): Promise<NatsProxy> => {
    const p = await startProxy();
    open.push(p);
    return p;
  };
  const raw = async (): Promise<NatsConnection> => {
    const nc = await rawClient();
    open.push(nc);
    return nc;
  };
  const states = (b: Bus): StateChange[] => {
    const seen: StateChange[] = [];
    b.on('state', (c) => seen.push(c));
    return seen;
  };

  it('goes idle → connecting → connected, and carries the envelope id in Nats-Msg-Id', async () => {
    const root = uniq('hdr');
    const nc = await raw();
    const got: Array<{ id: string | undefined; body: string }> = [];
    nc.subscribe(`${root}.>`, { callback: (_e, m) => void got.push({ id: m.headers?.get('Nats-Msg-Id'), body: m.string() }) });
    await nc.flush();
    const b = bus();
    const seen = states(b);
    expect(b.state).toBe('idle');
    await b.connect();
    expect(seen.map((c) => c.state)).toEqual(['connecting', 'connected']);
    expect(seen[1]?.reconnected).toBe(false);
    const id = 'cd'.repeat(16);
    await b.publish(`${root}.x`, { k: 1 }, { id, ts: 1700000000.5 });
    await until(() => got.length === 1, 'raw copy');
    expect(got[0]?.id).toBe(id);
    expect(JSON.parse(got[0]?.body ?? '{}')).toEqual({ v: 1, id, topic: `${root}.x`, type: '', ts: 1700000000.5, payload: { k: 1 } });
  });

  it('reports reconnecting, then connected with reconnected: true, and re-subscribes', async () => {
    const p = await proxy();
    const b = bus({ servers: p.url });
    const seen = states(b);
    const root = uniq('rc');
    const sub = b.subscribe(`${root}.>`);
    await sub.ready;
    p.cut();
    await until(() => seen.some((c) => c.state === 'reconnecting'), 'reconnecting');
    await until(() => b.state === 'connected', 'connected again');
    const back = seen.filter((c) => c.state === 'connected');
    expect(back.map((c) => c.reconnected)).toEqual([false, true]);
    expect(b.stats().reconnects).toBe(1);
    const other = bus();
    await other.connect();
    // the SUB is re-sent by the client; publish until it is routed again
    let n = 0;
    const pump = setInterval(() => void other.publish(`${root}.after`, { n: n++ }), 20);
    try {
      const [ev] = await take(sub, 1);
      expect(ev?.topic).toBe(`${root}.after`);
    } finally {
      clearInterval(pump);
    }
  });

  it('buffers publishes while the server is away and flushes them in order on reconnect', async () => {
    const p = await proxy();
    const root = uniq('off');
    const watcher = bus();
    const sub = watcher.subscribe(`${root}.>`, { queue: 100 });
    await sub.ready;
    const b = bus({ servers: p.url, offlineBuffer: 5 });
    await b.connect();
    p.refuse(true);
    p.cut();
    await until(() => b.state === 'reconnecting', 'reconnecting');
    for (let i = 0; i < 8; i++) await b.publish(`${root}.e`, { i });
    expect(b.buffered).toBe(5);
    expect(b.stats().dropped_offline).toBe(3);
    p.refuse(false);
    const got = await take(sub, 5);
    expect(got.map((e) => e.payload.i)).toEqual([3, 4, 5, 6, 7]);
    expect(b.buffered).toBe(0);
  });

  it('waits for a server that is not there yet: connect({timeoutMs}) rejects, the first connect still comes', async () => {
    const p = await proxy();
    p.refuse(true);
    const root = uniq('late');
    const watcher = bus();
    const sub = watcher.subscribe(`${root}.>`);
    await sub.ready;
    const b = bus({ servers: p.url });
    await expect(b.connect({ timeoutMs: 300 })).rejects.toBeInstanceOf(BusUnavailableError);
    expect(b.state).toBe('connecting');
    await b.publish(`${root}.early`, { early: true });
    const own = b.subscribe(`${root}.>`);
    p.refuse(false);
    await b.connect();
    await own.ready;
    const [ev] = await take(sub, 1);
    expect(ev?.payload).toEqual({ early: true });
    expect(b.stats().reconnects).toBe(0);
  });

  it('closes promptly while it was never connected, counting what could not be sent', async () => {
    const p = await proxy();
    p.refuse(true);
    const b = bus({ servers: p.url });
    void b.connect().catch(() => undefined);
    await b.publish(`${uniq('never')}.x`, {});
    const t0 = Date.now();
    await b.close();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(b.state).toBe('closed');
    expect(b.stats().dropped_offline).toBe(1);
  });

  it('flushes on close: every event published just before close() reaches the server', async () => {
    const root = uniq('flush');
    const nc = await raw();
    let n = 0;
    nc.subscribe(`${root}.>`, { callback: () => void n++ });
    await nc.flush();
    const b = bus();
    await b.connect();
    for (let i = 0; i < 500; i++) void b.publish(`${root}.e`, { i });
    await b.close();
    await until(() => n === 500, 'all 500 events');
  });

  it('drops messages that are not envelopes, and delivers its own events once', async () => {
    const root = uniq('foreign');
    const b = bus();
    const sub = b.subscribe(`${root}.>`);
    const overlap = b.subscribe(`${root}.*`);
    await Promise.all([sub.ready, overlap.ready]);
    const nc = await raw();
    nc.publish(`${root}.junk`, 'not json');
    nc.publish(`${root}.junk`, '{"payload":3}');
    await b.publish(`${root}.mine`, { mine: 1 });
    const [ev] = await take(sub, 1);
    expect(ev?.topic).toBe(`${root}.mine`);
    const [ev2] = await take(overlap, 1);
    expect(ev2?.payload).toEqual({ mine: 1 });
    await b.publish(`${root}.mine`, { mine: 2 });
    expect((await take(sub, 1))[0]?.payload).toEqual({ mine: 2 });
    expect(b.stats().delivered).toBe(4); // two events × two subscriptions, no extra copies
  });
});
