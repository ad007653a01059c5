/** The event journal, cursors and journalAndPublish. */
import { expect, it } from 'vitest';
import { MemoryBus, MemoryHub, newEventId, PayloadError, type BusEvent } from '../../../src/bus/index.js';
import { journalAndPublish, type Db, type JournalEntry } from '../../../src/db/index.js';
import { take } from '../../support/events.js';
import { ISO6, type SuiteContext } from './suite.js';

function entry(topic: string, payload: Record<string, unknown> = {}, ts = 1_767_225_600.123456): JournalEntry {
  return { topic, type: topic.split('.').at(-1) ?? '', id: newEventId(), ts, payload };
}

async function appendAll(db: Db, entries: JournalEntry[]): Promise<number[]> {
  return db.write(
    async (tx) => {
      const seqs: number[] = [];
      for (const e of entries) seqs.push((await db.repos.journal.append(tx, e)).seq);
      return seqs;
    },
    { locks: ['events'] },
  );
}

const CAPTURED = { secret_sha256: 'ab'.repeat(32), secret_kind: 'password', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' };

export function journalCases(ctx: SuiteContext): void {
  it('appends rows with growing seqs and reads them back in order, payload, ts and times intact', async () => {
    const db = ctx.db();
    const payload = { n: 1, nested: { list: [1, 'two', null, true] }, text: 'café ✓ "quoted"', big: 2 ** 40 };
    const first = entry('credential.captured', payload);
    const seqs = await appendAll(db, [first, entry('ttp.tagged'), entry('email.received')]);
    expect(seqs[1]).toBeGreaterThan(seqs[0] ?? Infinity);
    expect(seqs[2]).toBeGreaterThan(seqs[1] ?? Infinity);
    const rows = await db.repos.journal.readAfter(0, { limit: 10 });
    expect(rows.map((r) => r.seq)).toEqual(seqs);
    expect(rows[0]).toEqual({ ...first, seq: seqs[0], createdAt: ctx.clock.isoNow() });
    expect(rows[0]?.createdAt).toMatch(ISO6);
    expect(rows[0]?.ts).toBe(1_767_225_600.123456);
    expect(await db.repos.journal.readAfter(seqs[0] ?? 0, { limit: 1 })).toMatchObject([{ seq: seqs[1] }]);
    expect(await db.repos.journal.readAfter(seqs[2] ?? 0, { limit: 10 })).toEqual([]);
  });

  it('stores NUL as U+FFFD on every dialect (PostgreSQL jsonb refuses NUL), keeping a literal backslash-u0000', async () => {
    const db = ctx.db();
    await appendAll(db, [entry('ttp.tagged', { a: 'x\u0000y', b: '\\u0000', ['k\u0000']: 1 })]);
    const [row] = await db.repos.journal.readAfter(0, { limit: 1 });
    expect(row?.payload).toEqual({ a: 'x\ufffdy', b: '\\u0000', ['k\ufffd']: 1 });
  });

  it('filters by patterns, past whole pages of rows that do not match', async () => {
    const db = ctx.db();
    const noise = Array.from({ length: 250 }, (_, i) => entry(`credential.captured${i % 2 === 0 ? '' : '_x'}`));
    const seqs = await appendAll(db, [entry('ttp.rule.fired.T1110'), ...noise, entry('ttp.tagged'), entry('canary.tok1.triggered'), entry('canary.tok1.placed')]);
    const journal = db.repos.journal;
    const ttp = await journal.readAfter(0, { patterns: ['ttp.>'], limit: 10 });
    expect(ttp.map((r) => r.topic)).toEqual(['ttp.rule.fired.T1110', 'ttp.tagged']);
    // the first page of 100 holds one match at most: the read goes on until `limit` or the end
    expect((await journal.readAfter(seqs[0] ?? 0, { patterns: ['ttp.>', 'canary.*.triggered'], limit: 2 })).map((r) => r.topic)).toEqual(['ttp.tagged', 'canary.tok1.triggered']);
    expect((await journal.readAfter(0, { patterns: ['credential.captured'], limit: 500 })).length).toBe(125);
    expect((await journal.readAfter(0, { patterns: ['*.*.triggered'], limit: 5 })).map((r) => r.topic)).toEqual(['canary.tok1.triggered']);
    expect((await journal.readAfter(0, { patterns: ['>'], limit: 1000 })).length).toBe(254);
    // a pattern with LIKE metacharacters matches literally
    expect(await journal.readAfter(0, { patterns: ['credential.captured%'], limit: 5 })).toEqual([]);
    expect(await journal.countAfter(0, ['credential.captured'])).toBe(125);
    expect(await journal.countAfter(0, ['ttp.>', 'canary.*.triggered'])).toBe(3);
    expect(await journal.countAfter(seqs[0] ?? 0)).toBe(253);
  });

  it('readPage examines at most scanLimit rows and reports how far it got', async () => {
    const db = ctx.db();
    // `ttp.*` narrows to `ttp.%` in SQL, so the three-token rows are examined, then refused
    const seqs = await appendAll(db, [...Array.from({ length: 30 }, () => entry('ttp.rule.state')), entry('ttp.tagged')]);
    const page = await db.repos.journal.readPage(0, { patterns: ['ttp.*'], limit: 10, scanLimit: 20 });
    expect(page.rows).toEqual([]);
    expect(page.position).toBe(seqs[19]);
    const next = await db.repos.journal.readPage(page.position, { patterns: ['ttp.*'], limit: 10, scanLimit: 20 });
    expect(next.rows.map((r) => r.seq)).toEqual([seqs[30]]);
  });

  it('head, oldestSeq, prune by age and gap accounting', async () => {
    const db = ctx.db();
    const journal = db.repos.journal;
    expect(await journal.oldestSeq()).toBeUndefined();
    const before = await journal.head();
    const [old1, old2] = await appendAll(db, [entry('ttp.tagged'), entry('ttp.tagged')]);
    ctx.clock.advance(2 * 3_600_000);
    const [fresh] = await appendAll(db, [entry('ttp.tagged')]);
    expect(old1).toBeGreaterThan(before);
    expect(await journal.head()).toBe(fresh);
    expect(await journal.oldestSeq()).toBe(old1);
    expect(await journal.pruneOlderThan(1)).toBe(2);
    expect(await journal.oldestSeq()).toBe(fresh);
    expect(await journal.head()).toBe(fresh);
    expect(await journal.missedAfter((old1 ?? 0) - 1)).toBe((fresh ?? 0) - (old1 ?? 0)); // old1, old2 (and any holes)
    expect(await journal.missedAfter(old2 ?? 0)).toBe((fresh ?? 0) - (old2 ?? 0) - 1);
    expect(await journal.missedAfter(fresh ?? 0)).toBe(0);
    ctx.clock.advance(2 * 3_600_000);
    expect(await journal.pruneOlderThan(1)).toBe(1);
    expect(await journal.oldestSeq()).toBeUndefined();
    expect(await journal.head()).toBe(fresh); // pruned empty, the high-water mark stays
    expect(await journal.missedAfter(old2 ?? 0)).toBe((fresh ?? 0) - (old2 ?? 0));
    const [after] = await appendAll(db, [entry('ttp.tagged')]);
    expect(after).toBeGreaterThan(fresh ?? Infinity);
  });

  it('stores and reads cursors, upserting and joining the transaction', async () => {
    const db = ctx.db();
    expect(await db.repos.cursors.get('webhook', 'events')).toBeUndefined();
    await db.write((tx) => db.repos.cursors.set(tx, 'webhook', 'events', 42));
    await db.write((tx) => db.repos.cursors.set(tx, 'ttp', 'logs', 2 ** 40));
    expect(await db.repos.cursors.get('webhook', 'events')).toBe(42);
    expect(await db.repos.cursors.get('ttp', 'logs')).toBe(2 ** 40);
    await db.write(async (tx) => {
      await db.repos.cursors.set(tx, 'webhook', 'events', 43);
      expect(await db.repos.cursors.get('webhook', 'events', tx)).toBe(43);
    });
    await expect(
      db.write(async (tx) => {
        await db.repos.cursors.set(tx, 'webhook', 'events', 99);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.repos.cursors.get('webhook', 'events')).toBe(43);
    expect(await db.repos.cursors.get('webhook', 'logs')).toBeUndefined();
  });

  it('journalAndPublish publishes after the commit with the journal id, ts and type, and nothing on rollback', async () => {
    const db = ctx.db();
    const hub = new MemoryHub();
    const pub = new MemoryBus({ name: 'producer', hub, clock: ctx.clock });
    const subBus = new MemoryBus({ name: 'consumer', hub, clock: ctx.clock });
    try {
      await Promise.all([pub.connect(), subBus.connect()]);
      const sub = subBus.subscribe('credential.>');
      await sub.ready;
      const seen: BusEvent[] = [];
      const collecting = (async () => {
        for await (const ev of sub) seen.push(ev);
      })();
      const minted = await db.write(async (tx) => {
        const ev = await journalAndPublish(tx, pub, 'credential.captured', CAPTURED);
        await new Promise((r) => setTimeout(r, 5));
        expect(seen).toEqual([]); // not before the commit
        return ev;
      });
      await expect(
        db.write(async (tx) => {
          await journalAndPublish(tx, pub, 'credential.captured', { ...CAPTURED, decky: 'rolled-back' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const rows = await db.repos.journal.readAfter(0, { limit: 10 });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ seq: minted.seq, id: minted.id, ts: minted.ts, type: 'captured', topic: 'credential.captured', payload: CAPTURED });
      expect(minted.ts).toBe(ctx.clock.now() / 1000);
      await pub.publish('credential.marker', {}); // a fence: everything before it has arrived
      await waitFor(() => seen.some((e) => e.topic === 'credential.marker'));
      const live = seen.filter((e) => e.topic === 'credential.captured');
      expect(live).toHaveLength(1);
      expect(live[0]).toMatchObject({ id: minted.id, ts: minted.ts, type: 'captured', payload: CAPTURED });
      await sub.close();
      await collecting;
    } finally {
      await Promise.all([pub.close(), subBus.close()]);
    }
  });

  it('journalAndPublish in strict mode refuses a payload that fails its schema, storing nothing', async () => {
    const db = ctx.db();
    await expect(db.write((tx) => journalAndPublish(tx, null, 'credential.captured', { secret_kind: 'password' }, { strict: true }))).rejects.toBeInstanceOf(PayloadError);
    await expect(db.write((tx) => journalAndPublish(tx, null, 'credential.captured', CAPTURED, { strict: true, type: 'other' }))).rejects.toBeInstanceOf(PayloadError);
    expect(await db.repos.journal.readAfter(0, { limit: 10 })).toEqual([]);
    // not strict: stored (and published) anyway
    await db.write((tx) => journalAndPublish(tx, null, 'credential.captured', { secret_kind: 'password' }, { strict: false }));
    expect(await db.repos.journal.countAfter(0)).toBe(1);
  });

  it('journalAndPublish takes the live copy from the stored text (NUL as U+FFFD too)', async () => {
    const db = ctx.db();
    const hub = new MemoryHub();
    const bus = new MemoryBus({ name: 'p', hub, clock: ctx.clock });
    await bus.connect();
    const sub = bus.subscribe('ttp.>');
    await sub.ready;
    try {
      const payload: Record<string, unknown> = { rule_id: 'R0001', note: 'before', raw: 'a\u0000b' };
      const minted = await db.write(async (tx) => {
        const ev = await journalAndPublish(tx, bus, 'ttp.custom.thing', payload, { strict: false });
        payload.note = 'mutated after the call';
        return ev;
      });
      const [ev] = await take(sub, 1);
      const stored = { rule_id: 'R0001', note: 'before', raw: 'a\ufffdb' };
      expect(ev).toMatchObject({ id: minted.id, ts: minted.ts, payload: stored });
      expect((await db.repos.journal.readAfter(0, { limit: 1 }))[0]?.payload).toEqual(stored);
    } finally {
      await bus.close();
    }
  });
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not met before the safety limit');
}
