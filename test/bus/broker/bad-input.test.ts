/**
 * Bad input (spec/bus.md §3.5, CORRECTIONS #3.3, #3.12): a framing error closes that
 * connection and only that one; semantic refusals keep it; every refusal is counted and
 * logged at most once per second per connection.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/bus/clock.js';
import { bodyJson, type RawPeer } from '../../support/raw-peer.js';
import { until } from '../../support/events.js';
import { broker, peer, v2Peer } from './support.js';
import type { Broker } from '../../../src/bus/broker/index.js';

const len = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const raw = (header: string, body: string | Buffer = ''): Buffer => Buffer.concat([Buffer.from(header, 'latin1'), len(Buffer.byteLength(body)), Buffer.from(body)]);

/** Each case: what the offender sends (after an optional v2 HELLO). */
const FRAMING_ERRORS: ReadonlyArray<[string, Buffer, 'v1' | 'v2']> = [
  ['header over 4096 bytes', raw(`PUB ${'a'.repeat(4100)}\n`), 'v2'],
  ['no LF within 4096 bytes', Buffer.from('P'.repeat(5000), 'latin1'), 'v2'],
  ['non-ASCII header', Buffer.concat([Buffer.from('PUB caf\xe9\n', 'latin1'), len(0)]), 'v2'],
  ['tab in header', raw('PUB a\tb\n'), 'v1'],
  ['empty header', raw('\n'), 'v2'],
  ['unknown verb', raw('FOO bar\n'), 'v2'],
  ['lower-case verb', raw('pub a.b\n', '{}'), 'v1'],
  ['declared body over 1 MiB', Buffer.concat([Buffer.from('PUB a.b\n'), len(1_048_577)]), 'v2'],
  ['PUB body not JSON', raw('PUB a.b\n', 'not json'), 'v1'],
  ['PUB body a JSON array', raw('PUB a.b\n', '[1,2]'), 'v2'],
  ['PUB body a JSON string', raw('PUB a.b\n', '"x"'), 'v2'],
  ['PUB body with trailing bytes', raw('PUB a.b\n', '{} {}'), 'v2'],
  ['PUB body invalid UTF-8', raw('PUB a.b\n', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 'v2'],
  ['HELLO body not a JSON object', raw('HELLO x\n', 'proto=2'), 'v1'],
  ['EVT from a client', raw('EVT a.b\n', '{}'), 'v2'],
  ['SUBOK from a client', raw('SUBOK a.b\n'), 'v2'],
  ['PONG from a client', raw('PONG\n'), 'v2'],
  ['ERR from a client', raw('ERR bad_topic\n', '{"message":"x"}'), 'v2'],
  ['PING before v2', raw('PING\n'), 'v1'],
  ['STATS before v2', raw('STATS\n'), 'v1'],
  ['CR not followed by LF', raw('PUB a\rb\n'), 'v2'],
];

/** A subscriber and a publisher that must keep working while others misbehave. */
async function bystanders(b: Broker): Promise<{ check: (n: number) => Promise<void>; sub: RawPeer; pub: RawPeer }> {
  const sub = await v2Peer(b, 'bystander-sub', 'alive.>');
  const pub = await v2Peer(b, 'bystander-pub');
  return {
    sub,
    pub,
    check: async (n) => {
      pub.pub('alive.check', { payload: { n } });
      const [e] = await sub.evts(1, 'alive.check');
      expect(bodyJson<{ payload: { n: number } }>(e!).payload.n).toBe(n);
    },
  };
}

describe('framing errors', () => {
  it.each(FRAMING_ERRORS)('%s closes only the offending connection', async (_what, bytes, proto) => {
    const b = await broker();
    const { check } = await bystanders(b);
    const bad = await peer(b);
    if (proto === 'v2') await bad.helloV2('offender');
    else bad.helloV1('offender');
    bad.sendRaw(bytes);
    await bad.waitClosed();
    expect(bad.frames.filter((f) => f.verb !== 'HELLO')).toEqual([]);
    await check(1);
    const st = b.stats();
    expect(st.refused).toBe(1);
    expect(st.connections).toBe(2);
  });

  it('EOF in the middle of a frame is a framing error', async () => {
    const b = await broker();
    const { check } = await bystanders(b);
    for (const cut of ['PUB a.b', 'PUB a.b\n\0\0', 'PUB a.b\n\0\0\0\x10{"pay']) {
      const bad = await peer(b);
      bad.sendRaw(cut);
      bad.end();
      await bad.waitClosed();
    }
    await check(2);
    expect(b.stats().refused).toBe(3);
  });

  it('frames after a framing error in the same chunk are not acted on', async () => {
    const b = await broker();
    const { sub } = await bystanders(b);
    const bad = await peer(b);
    bad.sendRaw(Buffer.concat([raw('EVT x\n', '{}'), raw('PUB alive.evil\n', '{}')]));
    await bad.waitClosed();
    const pub = await v2Peer(b, 'later');
    pub.pub('alive.good');
    expect((await sub.evts(1))[0]!.args).toBe('alive.good');
  });

  it('a broker keeps serving after many framing errors', async () => {
    const b = await broker();
    const { check } = await bystanders(b);
    await Promise.all(
      FRAMING_ERRORS.map(async ([, bytes]) => {
        const bad = await peer(b);
        bad.sendRaw(bytes);
        await bad.waitClosed();
      }),
    );
    await check(3);
    expect(b.stats().refused).toBe(FRAMING_ERRORS.length);
  });
});

describe('semantic refusals', () => {
  it('a connection keeps working after refusals and the refusals are counted per connection', async () => {
    const b = await broker();
    const p = await v2Peer(b, 'sloppy');
    const sub = await v2Peer(b, 'sub', 'good.>');
    p.pub('bad topic');
    p.pub('');
    p.send('SUB', 'x.>.y');
    p.pub('good.x', '{"type":null}');
    for (let i = 0; i < 4; i++) await p.next((f) => f.verb === 'ERR');
    p.pub('good.x', { type: 'ok', payload: { fine: true } });
    expect(bodyJson((await sub.evts(1))[0]!)).toMatchObject({ type: 'ok', payload: { fine: true } });
    const rows = b.stats().per_connection;
    expect(rows.find((r) => r.name === 'sloppy')?.refused).toBe(4);
    expect(rows.find((r) => r.name === 'sub')?.refused).toBe(0);
  });

  it('caps the patterns one connection may hold', async () => {
    const b = await broker({ maxPatternsPerConnection: 3 });
    const p = await v2Peer(b, 'greedy', 'p.1', 'p.2', 'p.3');
    p.send('SUB', 'p.2'); // already held: fine
    expect((await p.next((f) => f.verb === 'SUBOK')).args).toBe('p.2');
    p.send('SUB', 'p.4');
    const err = await p.next((f) => f.verb === 'ERR');
    expect(err.args).toBe('bad_pattern');
    expect(bodyJson(err).pattern).toBe('p.4');
    expect(b.stats().subscriptions).toBe(3);
  });

  it('logs refusals at most once per second per connection, with the suppressed count', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const clock = new FakeClock();
    const b = await broker({ clock, log });
    const p = await v2Peer(b, 'flooder');
    const q = await v2Peer(b, 'other');
    for (let i = 0; i < 50; i++) p.pub('bad..topic');
    q.pub('also..bad');
    await until(() => b.stats().refused === 51, 'the refusals to be counted');
    const refusals = (): Array<Record<string, unknown>> => lines.filter((l) => String(l.msg).startsWith('refused'));
    expect(refusals().map((l) => l.name)).toEqual(['flooder', 'other']);
    clock.advance(1000);
    p.pub('bad..again');
    await until(() => b.stats().refused === 52, 'one more refusal');
    expect(refusals()).toHaveLength(3);
    expect(refusals()[2]).toMatchObject({ name: 'flooder', suppressed: 49, code: 'bad_topic' });
  });
});
