/**
 * Journaled topics on `GET /api/v1/stream` (eventplane.md §1.5, §3.2): frames come
 * from the journal with `id: <seq>:0`, the live copy only wakes the stream, and a
 * resume with `Last-Event-ID` delivers every event of the disconnect exactly once,
 * or a gap frame when that cannot be done.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus, type Bus } from '../../src/bus/index.js';
import { journalAndPublish } from '../../src/db/index.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { openStream, type SseClient, type SseFrame } from './stream-client.js';

let t: TestApi;
let viewer: string;
let peer: MemoryBus;
const open: SseClient[] = [];
beforeEach(async () => {
  t = await startTestApi();
  await t.user('eve', 'viewer');
  viewer = await t.login('eve');
  peer = new MemoryBus({ name: 'peer', hub: t.hub, strict: false });
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await peer.close();
  await t.close();
});

async function live(query: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const c = await openStream(t, query, { token: viewer, headers });
  open.push(c);
  return c;
}

const credential = (n: number): Record<string, unknown> => ({ secret_sha256: n.toString(16).padStart(64, '0'), secret_kind: 'password', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh', n });

/** Journals `count` credential.captured events in one transaction; live copies on `bus` (null: none). */
async function journal(count = 1, bus: Bus | null = peer, from = 0): Promise<Array<{ id: string; seq: number }>> {
  return t.db.write(
    async (tx) => {
      const out: Array<{ id: string; seq: number }> = [];
      for (let i = 0; i < count; i++) out.push(await journalAndPublish(tx, bus, 'credential.captured', credential(from + i) as never));
      return out;
    },
    { locks: ['events'] },
  );
}

const seqs = (frames: SseFrame[]): number[] => frames.filter((f) => f.event === 'credential.captured').map((f) => Number(f.id?.split(':')[0]));
const gaps = (c: SseClient): unknown[] => c.events('gap').map((f) => ({ id: f.id, ...(JSON.parse(f.data ?? '{}') as object) }));

describe('journaled topics', () => {
  it('come from the journal with id: <seq>:0 and the journal id, once each', async () => {
    const c = await live(`topics=${encodeURIComponent('credential.>,attacker.>')}`);
    const [row] = await journal();
    await c.waitEvents(1); // journal frames follow a read, so a live event may overtake them: wait
    await peer.publish('attacker.scored' as 'x.y', { n: 1 } as never);
    await c.waitEvents(2);
    await journal();
    await c.waitEvents(3);
    const [first, second, third] = c.events();
    expect(first).toMatchObject({ id: `${row?.seq}:0`, event: 'credential.captured' });
    expect(JSON.parse(first?.data ?? '')).toEqual({ id: row?.id, topic: 'credential.captured', type: 'captured', ts: expect.any(Number), payload: credential(0) });
    expect(second).toMatchObject({ event: 'attacker.scored' });
    expect(second?.id).toBeUndefined();
    expect(third?.id).toBe(`${(row?.seq ?? 0) + 1}:0`);
    expect(c.events()).toHaveLength(3);
  });

  it('every event journaled during a disconnect arrives exactly once on resume (Last-Event-ID)', async () => {
    const a = await live('topics=credential.>');
    await journal(3);
    await a.waitEvents(3);
    const last = a.events().at(-1)?.id as string;
    a.close();
    const during = await journal(5, peer, 3);
    const b = await live('topics=credential.>', { 'last-event-id': last });
    await b.waitEvents(5);
    await journal(1, peer, 8);
    await b.waitEvents(6);
    expect(seqs(b.frames)).toEqual([...during.map((r) => r.seq), (during.at(-1)?.seq ?? 0) + 1]);
    expect(b.data().map((d) => d.id).slice(0, 5)).toEqual(during.map((r) => r.id));
  });

  it('?last_event_id= works too, and the header wins over it', async () => {
    await journal(4);
    const q = await live('topics=credential.>&last_event_id=2:0');
    await q.waitEvents(2);
    expect(seqs(q.frames)).toEqual([3, 4]);
    const h = await live('topics=credential.>&last_event_id=1:0', { 'last-event-id': '3:0' });
    await h.waitEvents(1);
    await journal(1, peer, 4);
    await h.waitEvents(2);
    expect(seqs(h.frames)).toEqual([4, 5]);
  });

  it('nothing is lost or repeated when events are journaled while the stream resumes', async () => {
    await journal(10);
    const total = 60;
    const writer = (async () => {
      for (let i = 10; i < total; i++) await journal(1, peer, i);
    })();
    const c = await live('topics=credential.>', { 'last-event-id': '10:0' });
    await writer;
    await c.waitEvents(total - 10);
    await new Promise((r) => setTimeout(r, 50));
    expect(seqs(c.frames)).toEqual(Array.from({ length: total - 10 }, (_, i) => i + 11));
  });

  it('without a cursor it starts at the head: older rows are not replayed', async () => {
    await journal(3);
    const c = await live('topics=credential.>');
    expect(c.frames.find((f) => f.id !== undefined)?.id).toBe('3:0');
    await journal(1, peer, 3);
    await c.waitEvents(1);
    expect(seqs(c.frames)).toEqual([4]);
  });

  it('replays up to 1,000 matching rows; past that a too_far_behind gap jumps to the head', async () => {
    await journal(1000, null);
    const ok = await live('topics=credential.>', { 'last-event-id': '0:0' });
    await ok.waitEvents(1000);
    expect(seqs(ok.frames)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(gaps(ok)).toEqual([]);
    await journal(1, null, 1000);
    const far = await live('topics=credential.>', { 'last-event-id': '0:0' });
    expect(gaps(far)).toEqual([{ id: '1001:0', dropped: null, reason: 'too_far_behind' }]);
    await journal(1, peer, 1001);
    await far.waitEvents(2);
    expect(seqs(far.frames)).toEqual([1002]);
  });

  it('counts only matching rows against the replay limit', async () => {
    await journal(1000, null);
    await t.db.write(async (tx) => {
      for (let i = 0; i < 5; i++) await journalAndPublish(tx, null, 'ttp.tagged', { n: i } as never, { strict: false });
    });
    const c = await live('topics=credential.>', { 'last-event-id': '0:0' });
    await c.waitEvents(1000);
    expect(gaps(c)).toEqual([]);
  });

  it('a cursor behind the retention gets a pruned gap, then what is left', async () => {
    await journal(3, null);
    t.clock.advance(2 * 3_600_000);
    await journal(2, null, 3);
    expect(await t.db.repos.journal.pruneOlderThan(1)).toBe(3);
    const c = await live('topics=credential.>', { 'last-event-id': '1:0' });
    await c.waitEvents(3);
    expect(gaps(c)).toEqual([{ id: '3:0', dropped: null, reason: 'pruned', pruned: 2 }]);
    expect(seqs(c.frames)).toEqual([4, 5]);
  });

  it('a cursor past the head gets an unknown_cursor gap and starts at the head', async () => {
    await journal(2, null);
    const c = await live('topics=credential.>', { 'last-event-id': '99:0' });
    expect(gaps(c)).toEqual([{ id: '2:0', dropped: null, reason: 'unknown_cursor' }]);
  });

  it('re-reads the journal when the bus reconnects', async () => {
    const c = await live('topics=credential.>');
    await journal(2, null); // committed while the bus "was down": no wake
    await new Promise((r) => setTimeout(r, 50));
    expect(c.events()).toEqual([]);
    const bus = t.bus as unknown as { setState(state: string): void };
    bus.setState('reconnecting');
    bus.setState('connected');
    await c.waitEvents(2);
    expect(seqs(c.frames)).toEqual([1, 2]);
  });
});

describe('the viewer filter on journaled topics', () => {
  it('drops journal rows on forbidden topics for viewers, not for admins', async () => {
    await t.close();
    t = await startTestApi({ env: { DECNET_DURABLE_TOPICS: 'credential.>,smtp.>' } });
    await t.user('eve', 'viewer');
    await t.user('root', 'admin');
    viewer = await t.login('eve');
    const adminToken = await t.login('root');
    await peer.close();
    peer = new MemoryBus({ name: 'peer', hub: t.hub, strict: false });
    const v = await live('topics=%3E');
    const a = await openStream(t, 'topics=%3E', { token: adminToken });
    open.push(a);
    await t.db.write(async (tx) => {
      await journalAndPublish(tx, peer, 'smtp.probe.pending', { to: 'someone@example.com' } as never, { strict: false });
      await journalAndPublish(tx, peer, 'credential.captured', credential(0) as never);
    });
    await a.waitEvents(2);
    await v.waitEvents(1);
    expect(a.events().map((f) => [f.id, f.event])).toEqual([
      ['1:0', 'smtp.probe.pending'],
      ['2:0', 'credential.captured'],
    ]);
    expect(v.events().map((f) => [f.id, f.event])).toEqual([['2:0', 'credential.captured']]);
  });
});
