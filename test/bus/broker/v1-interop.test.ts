/**
 * A v1 peer that behaves like the reference Python client (spec/bus.md §3.2, issue #3
 * item 4): HELLO without a body, PUB with a full envelope, and it never reads anything but
 * EVT — so it must never be sent anything else, whatever it does.
 */
import { describe, expect, it } from 'vitest';
import { bodyJson, type RawPeer } from '../../support/raw-peer.js';
import { until } from '../../support/events.js';
import { broker, peer } from './support.js';
import type { Broker } from '../../../src/bus/broker/index.js';

/** The body a reference Python worker publishes: a whole envelope of its own making. */
function pythonEnvelope(topic: string, payload: object, type = 'observed'): string {
  return JSON.stringify({ v: 1, id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', topic, type, ts: 1767225600.0, payload });
}

async function v1Peer(b: Broker, name: string, ...patterns: string[]): Promise<RawPeer> {
  const p = await peer(b);
  p.helloV1(name);
  for (const pat of patterns) p.send('SUB', pat);
  // a v1 SUB has no ack; wait until the broker routes it
  await until(() => b.stats().per_connection.some((r) => r.name === name && r.patterns === patterns.length), `${name}'s SUBs to be routed`);
  return p;
}

function onlyEvt(p: RawPeer): void {
  expect(p.frames.map((f) => f.verb).filter((v) => v !== 'EVT')).toEqual([]);
}

describe('v1 peer (reference Python client)', () => {
  it('exchanges events with another v1 peer: the broker re-mints the full envelope it was given', async () => {
    const b = await broker();
    const sub = await v1Peer(b, 'python-sub', 'attacker.>');
    const pub = await peer(b);
    pub.helloV1('python-pub');
    // publish until it arrives, as against a broker that never acknowledges
    let sent = 0;
    while (sub.frames.length === 0 && sent < 1000) {
      pub.send('PUB', 'attacker.observed', pythonEnvelope('attacker.observed', { ip: '198.51.100.23', n: sent++ }));
      await new Promise((r) => setTimeout(r, 5));
    }
    const [e] = await sub.evts(1, 'attacker.observed');
    const env = bodyJson(e!);
    expect(Object.keys(env)).toEqual(['v', 'id', 'topic', 'type', 'ts', 'payload']);
    expect(env).toMatchObject({ v: 1, topic: 'attacker.observed', type: 'observed', payload: { ip: '198.51.100.23' } });
    expect(env.id).not.toBe('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(env.ts).not.toBe(1767225600);
    onlyEvt(sub);
    onlyEvt(pub);
    expect(pub.frames).toEqual([]); // no echo, no HELLO reply, no ack
  });

  it('a v1 connection receives only EVT frames even when it does bad things, and is kept', async () => {
    const b = await broker();
    const bad = await v1Peer(b, 'python-bad', 'ok.>');
    const pub = await v1Peer(b, 'python-pub');
    bad.send('SUB', 'a.*b'); // bad_pattern
    bad.send('SUB', '');
    bad.send('UNSUB', '>.a');
    bad.send('PUB', 'a..b', pythonEnvelope('a..b', {})); // bad_topic
    bad.send('PUB', 'wild.*', pythonEnvelope('wild.*', {}));
    bad.send('PUB', 'ok.x', '{"type":1,"payload":{}}'); // bad_payload
    bad.send('PUB', 'ok.x', '{"payload":[1,2]}');
    bad.send('PUB', 'ok.x', `{"payload":{"big":"${'x'.repeat(1_048_576 - 30)}"}}`); // too_large once minted
    bad.send('HELLO', 'renamed'); // still v1
    await until(() => b.stats().refused === 8, 'the eight refusals to be counted');
    expect(b.stats().per_connection.find((r) => r.name === 'renamed')).toMatchObject({ proto: 1, refused: 8, patterns: 1 });
    pub.send('PUB', 'ok.after', pythonEnvelope('ok.after', { still: 'here' }));
    const [e] = await bad.evts(1, 'ok.after');
    expect(bodyJson(e!).payload).toEqual({ still: 'here' });
    onlyEvt(bad);
  });

  it('a v2 verb from a v1 connection is a framing error: closed without a reply', async () => {
    const b = await broker();
    for (const verb of ['PING', 'STATS'] as const) {
      const p = await v1Peer(b, `v1-${verb}`);
      p.send(verb);
      await p.waitClosed();
      expect(p.frames).toEqual([]);
    }
    expect(b.stats().refused).toBe(2);
    expect(b.stats().connections).toBe(0);
  });

  it('a v1 subscriber gets the broker heartbeat as a plain EVT', async () => {
    const b = await broker({ heartbeatMs: 20 });
    const sub = await v1Peer(b, 'python-health', 'system.*.health');
    const [e] = await sub.evts(1, 'system.bus.health');
    expect(bodyJson(e!)).toMatchObject({ v: 1, topic: 'system.bus.health', type: 'bus.health', payload: { worker: 'bus' } });
    onlyEvt(sub);
  });

  it('BYE closes gracefully', async () => {
    const b = await broker();
    const p = await v1Peer(b, 'python-bye', 'x.>');
    p.send('BYE', '', '{"ignored":true}');
    await p.waitClosed();
    expect(b.stats().refused).toBe(0);
  });
});
