/** Protocol v2 (spec/bus.md §3.4, CORRECTIONS #3.2, #3.3, #3.12): negotiation, SUBOK, PING/PONG, ERR, STATS. */
import { describe, expect, it } from 'vitest';
import { bodyJson } from '../../support/raw-peer.js';
import { broker, peer, v2Peer } from './support.js';

describe('protocol v2', () => {
  it('answers HELLO {"proto":2} with HELLO decnet-bus and the server figures', async () => {
    const b = await broker({ version: '9.8.7' });
    const p = await peer(b);
    const hello = await p.helloV2('my-worker');
    expect(hello.args).toBe('decnet-bus');
    expect(bodyJson(hello)).toEqual({ proto: 2, server: '9.8.7', max_body: 1_048_576 });
    expect(b.stats().per_connection).toEqual([expect.objectContaining({ name: 'my-worker', proto: 2 })]);
  });

  it('stays v1 for a HELLO without body or with another proto, and says nothing', async () => {
    const b = await broker();
    const p = await peer(b);
    p.send('HELLO', 'old', { proto: 1, extra: [1, 2] });
    p.send('SUB', 'x.>');
    const q = await v2Peer(b, 'q');
    q.pub('x.y');
    await p.evts(1);
    expect(p.frames.map((f) => f.verb)).toEqual(['EVT']);
    expect(b.stats().per_connection.find((r) => r.name === 'old')?.proto).toBe(1);
  });

  it('answers every SUB with SUBOK once routed, duplicates included, and ignores a SUB body', async () => {
    const b = await broker();
    const p = await v2Peer(b, 'sub');
    p.send('SUB', 'a.>', '{"ignored":1}');
    p.send('SUB', 'a.>');
    p.send('SUB', 'b.*.c');
    for (const pat of ['a.>', 'a.>', 'b.*.c']) expect((await p.next((f) => f.verb === 'SUBOK')).args).toBe(pat);
    expect(b.stats().subscriptions).toBe(2);
  });

  it('answers PING with PONG (a body on PING is ignored)', async () => {
    const b = await broker();
    const p = await v2Peer(b, 'pinger');
    p.send('PING');
    p.send('PING', '', '{"x":1}');
    const pongs = [await p.next((f) => f.verb === 'PONG'), await p.next((f) => f.verb === 'PONG')];
    expect(pongs.map((f) => f.body.length)).toEqual([0, 0]);
  });

  it('sends ERR frames naming the refused topic or pattern, keeps the connection, counts them', async () => {
    const b = await broker();
    const p = await v2Peer(b, 'erring', 'ok.>');
    const errs: Array<[string, Record<string, unknown>]> = [];
    const nextErr = async (): Promise<void> => {
      const f = await p.next((x) => x.verb === 'ERR');
      errs.push([f.args, bodyJson(f)]);
    };
    p.pub('a..b');
    await nextErr();
    p.pub('a.>');
    await nextErr();
    p.send('SUB', 'a.*b');
    await nextErr();
    p.send('UNSUB', '>.x');
    await nextErr();
    p.pub('ok.x', '{"type":["t"]}');
    await nextErr();
    p.pub('ok.x', '{"payload":"str"}');
    await nextErr();
    p.pub('ok.x', `{"payload":{"big":"${'y'.repeat(1_048_576 - 30)}"}}`);
    await nextErr();
    expect(errs.map(([code, body]) => [code, body.topic ?? body.pattern])).toEqual([
      ['bad_topic', 'a..b'],
      ['bad_topic', 'a.>'],
      ['bad_pattern', 'a.*b'],
      ['bad_pattern', '>.x'],
      ['bad_payload', 'ok.x'],
      ['bad_payload', 'ok.x'],
      ['too_large', 'ok.x'],
    ]);
    for (const [, body] of errs) expect(typeof body.message).toBe('string');
    expect(errs[0]![1].message).toMatch(/a\.\.b/);
    const row = b.stats().per_connection.find((r) => r.name === 'erring');
    expect(row?.refused).toBe(7);
    expect(b.stats().refused).toBe(7);
    // still connected and working
    const other = await v2Peer(b, 'other');
    other.pub('ok.fine', { payload: { k: 1 } });
    expect(bodyJson((await p.evts(1))[0]!).payload).toEqual({ k: 1 });
  });

  it('answers STATS with the heartbeat fields and per-connection rows', async () => {
    const b = await broker();
    const s = await v2Peer(b, 'subscriber', 'a.>', 'b.>');
    const q = await v2Peer(b, 'asker');
    q.pub('a.one');
    await s.evts(1);
    q.send('STATS');
    const f = await q.next((x) => x.verb === 'STATS');
    const st = bodyJson<Record<string, unknown> & { per_connection: Array<Record<string, unknown>> }>(f);
    expect(st).toMatchObject({ worker: 'bus', pid: process.pid, connections: 2, subscriptions: 2, published: 1, delivered: 1, dropped: 0, refused: 0 });
    expect(typeof st.uptime_sec).toBe('number');
    expect(typeof st.ts).toBe('number');
    const rows = st.per_connection.map((r) => [r.name, r.proto, r.patterns]);
    expect(rows).toEqual([
      ['subscriber', 2, 2],
      ['asker', 2, 0],
    ]);
    expect(Object.keys(st.per_connection[0]!)).toEqual(expect.arrayContaining(['name', 'proto', 'patterns', 'queued_bytes', 'queued_frames', 'dropped', 'refused']));
  });
});

describe('half-close', () => {
  it('flushes the replies to a peer that sends its frames and then EOF', async () => {
    const b = await broker();
    const p = await peer(b);
    p.send('HELLO', 'one-shot', { proto: 2 });
    p.send('STATS');
    p.end();
    await p.waitClosed();
    expect(p.frames.map((f) => f.verb)).toEqual(['HELLO', 'STATS']);
  });
});
