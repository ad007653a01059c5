/** Routing through the broker (spec/bus.md §3.3): wildcards, one EVT per connection, no echo, order, the minted envelope. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/bus/clock.js';
import { bodyJson } from '../../support/raw-peer.js';
import { until } from '../../support/events.js';
import { broker, v2Peer } from './support.js';

describe('broker routing', () => {
  it('routes by wildcard patterns and not to non-matching connections', async () => {
    const b = await broker();
    const star = await v2Peer(b, 'star', 'topology.*.status');
    const tail = await v2Peer(b, 'tail', 'topology.>');
    const exact = await v2Peer(b, 'exact', 'topology.t1.status');
    const other = await v2Peer(b, 'other', 'attacker.>');
    const pub = await v2Peer(b, 'pub');
    pub.pub('topology.t1.status', { type: 'status', payload: { n: 1 } });
    pub.pub('topology.t1.mutation.applied', { type: 'mutation.applied', payload: { n: 2 } });
    pub.pub('topology.t2.status', { type: 'status', payload: { n: 3 } });
    // a marker that every peer but `other` receives, published last: once it arrives, nothing else is on its way
    pub.pub('attacker.observed', { payload: { n: 4 } });

    const ns = async (p: typeof star, n: number): Promise<number[]> => (await p.evts(n)).map((f) => bodyJson<{ payload: { n: number } }>(f).payload.n);
    expect(await ns(star, 2)).toEqual([1, 3]);
    expect(await ns(tail, 3)).toEqual([1, 2, 3]);
    expect(await ns(exact, 1)).toEqual([1]);
    expect(await ns(other, 1)).toEqual([4]);
    // prove star and exact got nothing more: a final event to all of them, which must be the next EVT
    pub.pub('topology.t1.status', { payload: { n: 5 } });
    expect(await ns(star, 1)).toEqual([5]);
    expect(await ns(exact, 1)).toEqual([5]);
    expect(star.frames.filter((f) => f.verb === 'EVT')).toHaveLength(3);
    expect(exact.frames.filter((f) => f.verb === 'EVT')).toHaveLength(2);
  });

  it('sends one EVT per connection however many of its patterns match', async () => {
    const b = await broker();
    const sub = await v2Peer(b, 'overlap', 'a.>', 'a.*.c', 'a.b.c', '*.b.c', 'a.b.>');
    const pub = await v2Peer(b, 'pub');
    pub.pub('a.b.c', { payload: { k: 1 } });
    pub.pub('x.y', { payload: { k: 2 } }); // matches nothing
    pub.pub('a.z', { payload: { k: 3 } }); // matches a.> only
    const evts = await sub.evts(2);
    expect(evts.map((f) => bodyJson<{ payload: { k: number } }>(f).payload.k)).toEqual([1, 3]);
    expect(b.stats().delivered).toBe(2);
  });

  it('does not echo an event to the connection that published it', async () => {
    const b = await broker();
    const both = await v2Peer(b, 'both', 'echo.>');
    const other = await v2Peer(b, 'other', 'echo.>');
    both.pub('echo.one', { payload: { from: 'both' } });
    other.pub('echo.two', { payload: { from: 'other' } });
    expect((await other.evts(1))[0]!.args).toBe('echo.one');
    expect((await both.evts(1))[0]!.args).toBe('echo.two');
    // a PING round trip after the publish proves nothing else was queued for `both`
    both.send('PING');
    await both.next((f) => f.verb === 'PONG', 'PONG');
    expect(both.frames.filter((f) => f.verb === 'EVT').map((f) => f.args)).toEqual(['echo.two']);
  });

  it('keeps each publisher’s order at every subscriber', async () => {
    const b = await broker();
    const subs = await Promise.all([1, 2, 3].map((i) => v2Peer(b, `s${i}`, 'seq.>')));
    const pubs = await Promise.all([1, 2].map((i) => v2Peer(b, `p${i}`)));
    const N = 500;
    for (let i = 0; i < N; i++) for (const [k, p] of pubs.entries()) p.pub(`seq.p${k}`, { payload: { i } });
    for (const s of subs) {
      const evts = await s.evts(2 * N);
      for (const k of [0, 1]) {
        const seen = evts.filter((f) => f.args === `seq.p${k}`).map((f) => bodyJson<{ payload: { i: number } }>(f).payload.i);
        expect(seen).toEqual(Array.from({ length: N }, (_, i) => i));
      }
    }
  });

  it('mints the envelope: new id, broker ts, v 1, topic from the header, type and payload bytes kept, wire key order', async () => {
    const clock = new FakeClock(Date.UTC(2026, 2, 3, 4, 5, 6, 789) + 0.25);
    const b = await broker({ clock });
    const sub = await v2Peer(b, 'sub', 'mint.>');
    const pub = await v2Peer(b, 'pub');
    const payloadText = '{ "b" : [1, 2.50, "x\\u0041"],  "a":{"z":null} }';
    const body = `{"v":7,"id":"ffffffffffffffffffffffffffffffff","topic":"spoof.topic","ts":1,"type":"kind.x","extra":true,"payload":${payloadText}}`;
    pub.pub('mint.real', body);
    pub.pub('mint.real', body);
    const [e1, e2] = await sub.evts(2);
    expect(e1!.args).toBe('mint.real');
    const text = e1!.body.toString('utf8');
    const env = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(env)).toEqual(['v', 'id', 'topic', 'type', 'ts', 'payload']);
    expect(env.v).toBe(1);
    expect(env.topic).toBe('mint.real');
    expect(env.type).toBe('kind.x');
    expect(env.ts).toBe(clock.now() / 1000);
    expect(env.id).toMatch(/^[0-9a-f]{32}$/);
    expect(env.id).not.toBe('ffffffffffffffffffffffffffffffff');
    expect(bodyJson(e2!).id).not.toBe(env.id);
    // the payload's bytes are copied, not re-serialised
    expect(text.endsWith(`"payload":${payloadText}}`)).toBe(true);
    expect(env.payload).toEqual({ b: [1, 2.5, 'xA'], a: { z: null } });
  });

  it('treats an empty PUB body as {} and a body without type as type ""', async () => {
    const b = await broker();
    const sub = await v2Peer(b, 'sub', 'empty.>');
    const pub = await v2Peer(b, 'pub');
    pub.pub('empty.body', Buffer.alloc(0));
    pub.pub('empty.type', { payload: { x: 1 } });
    const [a, c] = await sub.evts(2);
    expect(bodyJson(a!)).toMatchObject({ topic: 'empty.body', type: '', payload: {} });
    expect(bodyJson(c!)).toMatchObject({ topic: 'empty.type', type: '', payload: { x: 1 } });
  });

  it('stops routing after UNSUB, and SUB is idempotent', async () => {
    const b = await broker();
    const sub = await v2Peer(b, 'sub', 'u.>', 'u.>');
    expect(b.stats().subscriptions).toBe(1);
    const pub = await v2Peer(b, 'pub');
    pub.pub('u.one');
    await sub.evts(1);
    sub.send('UNSUB', 'u.>');
    sub.send('UNSUB', 'never.subscribed');
    await until(() => b.stats().subscriptions === 0, 'UNSUB to be routed');
    pub.pub('u.two');
    await sub.sub('marker');
    pub.pub('marker');
    expect((await sub.evts(1))[0]!.args).toBe('marker');
    expect(sub.frames.filter((f) => f.verb === 'EVT').map((f) => f.args)).toEqual(['u.one', 'marker']);
  });

  it('delivers injected envelopes as they are, except to their origin, and calls local listeners once', async () => {
    const b = await broker();
    const sub = await v2Peer(b, 'sub', 'bridge.>');
    const origin = {};
    const heard: string[] = [];
    const alsoHeard: string[] = [];
    const detach = b.attachLocal('bridge.>', (topic, env) => heard.push(`${topic} ${env.toString()}`), origin);
    const detach2 = b.attachLocal('bridge.*', (topic) => alsoHeard.push(topic));
    const envelope = Buffer.from('{"v":1,"id":"0123456789abcdef0123456789abcdef","topic":"bridge.in","type":"t","ts":1.5,"payload":{}}');
    b.inject('bridge.in', envelope, origin);
    const [e] = await sub.evts(1);
    expect(e!.body.equals(envelope)).toBe(true);
    expect(heard).toEqual([]); // its own injection is not echoed
    expect(alsoHeard).toEqual(['bridge.in']);
    const pub = await v2Peer(b, 'pub');
    pub.pub('bridge.out', { payload: { y: 2 } });
    await until(() => heard.length === 1, 'the local listener to hear a PUB');
    expect(heard[0]).toMatch(/^bridge\.out \{"v":1,/);
    detach();
    detach2();
    expect(() => b.inject('bad..topic', envelope)).toThrow();
  });
});
