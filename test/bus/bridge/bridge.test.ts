/**
 * The local↔NATS bridge: two brokers on two sockets (two "hosts"), each with a bridge
 * inside, and the one nats-server. An event exported on host A arrives once on host B,
 * with its id and ts; imports come in; nothing loops when both hosts export and import
 * the same pattern. Every test has its own subject root; no JetStream state is made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Msg } from '@nats-io/transport-node';
import { startBroker, type Broker } from '../../../src/bus/broker/index.js';
import { NatsBus, startBridge, UnixBus, bridgeSettings, serializeEnvelope, newEventId, type Bridge, type BridgeOptions, type BusEvent, type Subscription } from '../../../src/bus/index.js';
import { drain, take, until } from '../../support/events.js';
import { NATS_URL, requireNats, rawClient, startProxy, uniq } from '../../support/nats.js';

describe('bridge settings', () => {
  it('come from the command line and the environment, checked before anything starts', () => {
    const s = bridgeSettings({ url: 'nats://10.0.0.1:4222', exports: ['attacker.>'], imports: ['system.*.control'] }, { DECNET_NATS_TOKEN: 'tok', DECNET_NATS_STREAM: 'S1', DECNET_DURABLE_TOPICS: 'ttp.>' });
    expect(s).toMatchObject({ servers: 'nats://10.0.0.1:4222', token: 'tok', exports: ['attacker.>'], imports: ['system.*.control'] });
    expect(s.stream).toMatchObject({ name: 'S1', patterns: ['ttp.>'] });
    expect(() => bridgeSettings({ url: 'http://x' }, {})).toThrow(/DECNET_NATS_URL/);
    expect(() => bridgeSettings({ url: 'nats://x:4222' }, {})).toThrow(/--export or --import/);
  });
});

await requireNats();

/** Lets in-flight copies land before a "nothing more arrived" check. */
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bridge between two hosts over NATS', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  const host = async (tag: string): Promise<{ broker: Broker; client: (name: string) => UnixBus }> => {
    const dir = mkdtempSync(join(tmpdir(), `dbr-${tag}-`));
    const broker = await startBroker({ socketPath: join(dir, 'b.sock'), home: dir });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => broker.close());
    const client = (name: string): UnixBus => {
      const c = new UnixBus({ name, socketPath: broker.socketPath });
      cleanups.push(() => c.close());
      return c;
    };
    return { broker, client };
  };
  const bridge = async (broker: Broker, opts: Partial<BridgeOptions>): Promise<Bridge> => {
    const b = startBridge({ broker, servers: NATS_URL, exports: [], imports: [], ...opts });
    cleanups.push(() => b.close());
    await b.ready;
    return b;
  };
  const sub = async (bus: UnixBus | NatsBus, pattern: string): Promise<Subscription> => {
    const s = bus.subscribe(pattern, { queue: 1000 });
    await s.ready;
    return s;
  };
  const rest = async (s: Subscription): Promise<BusEvent[]> => {
    await settle();
    const left = drain(s);
    await s.close();
    return left;
  };

  it('an event exported on host A arrives once on host B, with its id, ts and the bridge header', async () => {
    const root = uniq('br');
    const [a, b] = [await host('a'), await host('b')];
    // two overlapping patterns on each side: the event matches both, and still crosses once
    const bridgeA = await bridge(a.broker, { id: 'host-a', exports: [`${root}.t.*`, `${root}.*.x`] });
    const bridgeB = await bridge(b.broker, { id: 'host-b', imports: [`${root}.t.*`, `${root}.*.x`] });
    const nc = await rawClient();
    cleanups.push(() => nc.close());
    const onNats: Msg[] = [];
    nc.subscribe(`${root}.>`, { callback: (_e, m) => void onNats.push(m) });
    await nc.flush();
    const onA = await sub(a.client('a-sub'), `${root}.>`);
    const onB = await sub(b.client('b-sub'), `${root}.>`);
    const pub = a.client('a-pub');
    await pub.publish(`${root}.t.x`, { n: 1 });
    const [fromA] = await take(onA, 1);
    const [fromB] = await take(onB, 1);
    expect(fromB).toEqual(fromA); // same envelope: id and ts kept, no re-mint
    expect(await rest(onB)).toEqual([]);
    expect(onNats).toHaveLength(1);
    expect(onNats[0]?.headers?.get('Decnet-Bridge')).toBe('host-a');
    expect(onNats[0]?.headers?.get('Nats-Msg-Id')).toBe(fromA?.id);
    expect(bridgeA.stats()).toMatchObject({ exported: 1, duplicates: 1, imported: 0, nats: 'connected' });
    expect(bridgeB.stats()).toMatchObject({ imported: 1, exported: 0, duplicates: 1 });
  });

  it('imports NATS events into the local broker with their id and ts', async () => {
    const root = uniq('imp');
    const b = await host('b');
    const br = await bridge(b.broker, { imports: [`${root}.in.>`] });
    const onB = await sub(b.client('b-sub'), `${root}.>`);
    const remote = new NatsBus({ name: 'remote', servers: NATS_URL, stream: { name: 'unused', patterns: [], maxAgeMs: 0, maxBytes: 0, ackWaitMs: 1000 } });
    cleanups.push(() => remote.close());
    const id = newEventId();
    await remote.publish(`${root}.in.x`, { from: 'nats' }, { id, ts: 1700000002.5 });
    await remote.publish(`${root}.out.x`, { from: 'not imported' });
    const [ev] = await take(onB, 1);
    expect(ev).toEqual({ v: 1, id, topic: `${root}.in.x`, type: '', ts: 1700000002.5, payload: { from: 'nats' } });
    const raw = await rawClient();
    cleanups.push(() => raw.close());
    raw.publish(`${root}.in.junk`, 'not an envelope');
    await raw.flush();
    expect(await rest(onB)).toEqual([]);
    await until(() => br.stats().refused === 1, 'junk refused');
    expect(br.stats().imported).toBe(1);
  });

  it('does not loop when both hosts export and import the same pattern', async () => {
    const root = uniq('loop');
    const [a, b] = [await host('a'), await host('b')];
    const pattern = `${root}.>`;
    const bridgeA = await bridge(a.broker, { id: 'loop-a', exports: [pattern], imports: [pattern] });
    const bridgeB = await bridge(b.broker, { id: 'loop-b', exports: [pattern], imports: [pattern] });
    const nc = await rawClient();
    cleanups.push(() => nc.close());
    let onNats = 0;
    nc.subscribe(pattern, { callback: () => void onNats++ });
    await nc.flush();
    const onA = await sub(a.client('a-sub'), pattern);
    const onB = await sub(b.client('b-sub'), pattern);
    await a.client('a-pub').publish(`${root}.from.a`, { side: 'a' });
    await b.client('b-pub').publish(`${root}.from.b`, { side: 'b' });
    const gotA = await take(onA, 2);
    const gotB = await take(onB, 2);
    expect(gotA.map((e) => e.payload.side).sort()).toEqual(['a', 'b']);
    expect(gotB.map((e) => e.payload.side).sort()).toEqual(['a', 'b']);
    expect(await rest(onA)).toEqual([]);
    expect(await rest(onB)).toEqual([]);
    expect(onNats).toBe(2); // each event crossed NATS once
    expect(bridgeA.stats()).toMatchObject({ exported: 1, imported: 1 });
    expect(bridgeB.stats()).toMatchObject({ exported: 1, imported: 1 });
  });

  it('skips and counts an envelope over the NATS max_payload', async () => {
    const root = uniq('big');
    const a = await host('a');
    const br = await bridge(a.broker, { exports: [`${root}.>`] });
    const topic = `${root}.huge`;
    const small = serializeEnvelope({ v: 1, id: newEventId(), topic, type: '', ts: 1, payload: {} }, '{"pad":""}');
    const pad = 1_048_576 - Buffer.byteLength(small);
    const huge = Buffer.from(serializeEnvelope({ v: 1, id: newEventId(), topic, type: '', ts: 1, payload: {} }, JSON.stringify({ pad: 'x'.repeat(pad) })));
    expect(huge.length).toBe(1_048_576);
    a.broker.inject(topic, huge); // the broker's own limit is 1 MiB; NATS needs room for headers
    expect(br.stats()).toMatchObject({ skipped_too_large: 1, exported: 0 });
  });

  it('buffers exports while NATS is away and forwards them once the link is back', async () => {
    const root = uniq('rec');
    const [a, b] = [await host('a'), await host('b')];
    const proxy = await startProxy();
    cleanups.push(() => proxy.close());
    const bridgeA = await bridge(a.broker, { servers: proxy.url, exports: [`${root}.>`] });
    await bridge(b.broker, { imports: [`${root}.>`] });
    const onB = await sub(b.client('b-sub'), `${root}.>`);
    const pub = a.client('a-pub');
    proxy.refuse(true);
    proxy.cut();
    await until(() => bridgeA.stats().nats === 'reconnecting', 'link down');
    for (let i = 0; i < 5; i++) await pub.publish(`${root}.e`, { i });
    await until(() => bridgeA.stats().buffered === 5, 'exports buffered');
    proxy.refuse(false);
    expect((await take(onB, 5)).map((e) => e.payload.i)).toEqual([0, 1, 2, 3, 4]);
    expect(bridgeA.stats()).toMatchObject({ nats: 'connected', buffered: 0, exported: 5 });
  });
});
