/**
 * The StreamHub: the work of the live path is done once per event, not once per stream
 * (performance.md "API"). Counted, never timed: bus deliveries, journal queries, and
 * the identity of the frame buffers the streams get.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus, MemoryHub } from '../../src/bus/index.js';
import { journalAndPublish, type JournalRepo, type JournalRow } from '../../src/db/index.js';
import type { Role } from '../../src/api/auth/tokens.js';
import { StreamHub, type HubMember, type SharedRow } from '../../src/api/stream/hub.js';
import { until } from '../support/events.js';
import { streamFixture, type SseClient } from './stream-client.js';

describe('over HTTP', () => {
  const fx = streamFixture();
  const live = (query: string, token = fx.viewer): Promise<SseClient> => fx.live(query, { token });
  const pub = fx.pub;
  const delivered = (): number => fx.t.bus.stats().delivered;

  it('one bus delivery per event however many streams share a pattern; none once they are gone', async () => {
    const streams: SseClient[] = [];
    for (let i = 0; i < 6; i++) streams.push(await live('topics=attacker.>', i % 2 === 0 ? fx.viewer : fx.admin));
    const before = delivered();
    await pub('attacker.marker', { n: 1 });
    for (const s of streams) await s.waitEvents(1);
    expect(delivered() - before).toBe(1);
    expect(new Set(streams.map((s) => s.events()[0]?.data)).size).toBe(1);
    for (const s of streams) s.close();
    await until(async () => {
      const at = delivered();
      await pub('attacker.marker', { n: 2 });
      return delivered() === at;
    }, 'the shared subscription to close with its last stream');
  });

  it('streams with overlapping pattern lists each get one frame per event', async () => {
    const a = await live('topics=attacker.>');
    const b = await live(`topics=${encodeURIComponent('attacker.>,*.scored')}`);
    const c = await live(`topics=${encodeURIComponent('*.scored,attacker.>')}`, fx.admin);
    const before = delivered();
    await pub('attacker.scored', { n: 1 });
    await pub('campaign.scored', { n: 2 });
    await pub('attacker.marker', { n: 3 });
    await a.waitEvents(2);
    await b.waitEvents(3);
    await c.waitEvents(3);
    expect(a.data().map((d) => d.payload.n)).toEqual([1, 3]);
    expect(b.data().map((d) => d.payload.n)).toEqual([1, 2, 3]);
    expect(c.data().map((d) => d.payload.n)).toEqual([1, 2, 3]);
    // two subscriptions (attacker.>, *.scored) for three streams: attacker.scored matches both
    expect(delivered() - before).toBe(4);
  });

  it('streams at one cursor share one journal read for a wake', async () => {
    const streams: SseClient[] = [];
    for (let i = 0; i < 5; i++) streams.push(await live('topics=credential.>'));
    const spy = vi.spyOn(fx.t.db.repos.journal, 'readAfter');
    const credential = { secret_sha256: 'ab'.repeat(32), secret_kind: 'password', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' };
    const row = await fx.t.db.write(async (tx) => journalAndPublish(tx, fx.peer, 'credential.captured', credential), { locks: ['events'] });
    for (const s of streams) await s.waitEvents(1);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    for (const s of streams) expect(s.events().map((f) => [f.id, JSON.parse(f.data ?? '{}').id])).toEqual([[`${row.seq}:0`, row.id]]);
  });
});

/** A stream as the hub sees it: records what it is given. */
class Member implements HubMember {
  frames: Buffer[] = [];
  wakes = 0;
  dropped = 0;
  ended: unknown[] = [];
  broken = false;
  constructor(readonly role: Role) {}
  deliver(frame: Buffer): void {
    if (this.broken) throw new Error('socket gone wrong');
    this.frames.push(frame);
  }
  wake(): void {
    this.wakes++;
  }
  noteDropped(n: number): void {
    this.dropped += n;
  }
  routeEnded(err?: unknown): void {
    this.ended.push(err ?? 'closed');
  }
}

interface Query {
  readonly cursor: number;
  resolve(rows: JournalRow[]): void;
  reject(err: Error): void;
}

describe('StreamHub', () => {
  let bus: MemoryBus;
  let peer: MemoryBus;
  let queries: Query[];
  let hub: StreamHub;
  beforeEach(() => {
    const broker = new MemoryHub();
    bus = new MemoryBus({ name: 'api', hub: broker });
    peer = new MemoryBus({ name: 'peer', hub: broker, strict: false });
    queries = [];
    const journal = {
      readAfter: (cursor: number) => new Promise<JournalRow[]>((resolve, reject) => queries.push({ cursor, resolve, reject })),
    } as unknown as JournalRepo;
    hub = new StreamHub({ bus, journal, durableTopics: ['credential.>'] });
  });
  afterEach(async () => {
    await peer.close();
    await bus.close();
  });

  const row = (seq: number): JournalRow => ({ seq, id: seq.toString(16).padStart(32, '0'), topic: 'credential.captured', type: 'captured', ts: seq, payload: { seq }, createdAt: '2026-12-01T12:00:00.000000Z' });
  const pub = (topic: string): Promise<void> => peer.publish(topic as 'x.y', {} as never);

  it('holds one subscription per distinct pattern, hands every stream the same frame, once, and filters viewers', async () => {
    const [a, b, c] = [new Member('viewer'), new Member('admin'), new Member('viewer')];
    const ma = hub.join(a, ['>']);
    const mb = hub.join(b, ['>']);
    const mc = hub.join(c, ['attacker.>', '*.scored']);
    await Promise.all([ma.ready, mb.ready, mc.ready]);
    expect(hub.subscriptions).toBe(3);
    await pub('attacker.scored');
    await pub('smtp.probe.pending');
    await until(() => b.frames.length === 2 && a.frames.length === 1 && c.frames.length === 1, 'the frames');
    expect(a.frames[0]).toBe(b.frames[0]);
    expect(c.frames[0]).toBe(a.frames[0]);
    expect(a.frames[0]?.toString()).toMatch(/^event: attacker\.scored\ndata: \{"id":"[0-9a-f]{32}","topic":"attacker\.scored"/);
    expect(b.frames[1]?.toString()).toMatch(/^event: smtp\.probe\.pending\n/);
    ma.leave();
    ma.leave();
    expect(hub.subscriptions).toBe(3);
    mb.leave();
    mc.leave();
    expect(hub.subscriptions).toBe(0);
  });

  it('wakes streams on a journaled topic instead of framing it, and on a bus reconnect', async () => {
    const a = new Member('viewer');
    const m = hub.join(a, ['credential.>', 'attacker.>']);
    await m.ready;
    await pub('credential.captured');
    await until(() => a.wakes === 1, 'a wake');
    expect(a.frames).toEqual([]);
    (bus as unknown as { setState(s: string): void }).setState('reconnecting');
    (bus as unknown as { setState(s: string): void }).setState('connected');
    expect(a.wakes).toBe(2);
    m.leave();
  });

  it('shares a journal read only among streams woken before it started, and a row frame across reads', async () => {
    const [a, b, c] = [new Member('viewer'), new Member('viewer'), new Member('admin')];
    const [ma, mb, mc] = [hub.join(a, ['credential.>']), hub.join(b, ['credential.>']), hub.join(c, ['credential.>'])];
    const ra = ma.read(0);
    const rb = mb.read(0);
    expect(queries).toHaveLength(1);
    await pub('credential.captured'); // a wake: a read already under way may have missed its row
    await until(() => c.wakes === 1, 'the wake');
    const rc = mc.read(0);
    expect(queries).toHaveLength(2);
    queries[0]?.resolve([row(1)]);
    queries[1]?.resolve([row(1), row(2)]);
    const [rowsA, rowsB, rowsC] = (await Promise.all([ra, rb, rc])) as [SharedRow[], SharedRow[], SharedRow[]];
    expect(rowsA).toBe(rowsB);
    expect(rowsC.map((r) => r.seq)).toEqual([1, 2]);
    expect(rowsC[0]?.frame).toBe(rowsA[0]?.frame);
    expect(rowsA[0]?.frame.toString()).toBe(`id: 1:0\nevent: credential.captured\ndata: {"id":"${row(1).id}","topic":"credential.captured","type":"captured","ts":1,"payload":{"seq":1}}\n\n`);
    expect(rowsA[0]).toMatchObject({ durable: true, viewerOk: true });
  });

  it('a failed shared read fails only the stream whose read it was; the others read again', async () => {
    const [a, b] = [new Member('viewer'), new Member('viewer')];
    const [ma, mb] = [hub.join(a, ['credential.>']), hub.join(b, ['credential.>'])];
    const ra = ma.read(3);
    const rb = mb.read(3);
    queries[0]?.reject(new Error('database went away'));
    await expect(ra).rejects.toThrow('database went away');
    await until(() => queries.length === 2, 'the follower to read again');
    expect(queries[1]?.cursor).toBe(3);
    queries[1]?.resolve([row(4)]);
    expect((await rb).map((r) => r.seq)).toEqual([4]);
  });

  it('a stream without patterns (log feed only) moves its cursor over the journal and is sent no row', async () => {
    const m = hub.join(new Member('admin'), []);
    await m.ready;
    expect(hub.subscriptions).toBe(0);
    const rows = m.read(0);
    queries[0]?.resolve([row(1), row(2)]);
    expect((await rows).map((r) => [r.seq, r.durable])).toEqual([
      [1, false],
      [2, false],
    ]);
    m.leave();
  });

  it('a stream that throws fails alone; the shared subscription carries on', async () => {
    const [a, b] = [new Member('viewer'), new Member('viewer')];
    a.broken = true;
    const [ma, mb] = [hub.join(a, ['attacker.>']), hub.join(b, ['attacker.>'])];
    await Promise.all([ma.ready, mb.ready]);
    await pub('attacker.one');
    await pub('attacker.two');
    await until(() => b.frames.length === 2, 'both frames for the healthy stream');
    expect(a.ended).toHaveLength(2); // a real session leaves on the first; this one stays
    expect(String(a.ended[0])).toMatch(/socket gone wrong/);
    expect(b.ended).toEqual([]);
  });

  it('a bus that closes ends the streams of its subscriptions', async () => {
    const a = new Member('viewer');
    await hub.join(a, ['attacker.>']).ready;
    await bus.close();
    await until(() => a.ended.length === 1, 'the stream to end');
    expect(a.ended).toEqual(['closed']);
    expect(hub.subscriptions).toBe(0);
  });
});
