/**
 * The bus client contract (spec/bus.md §4), one set of cases for every
 * transport. A transport plugs in with a factory and declares what it can do;
 * `null` runs the publish, validation, close and ready cases and checks that
 * nothing arrives (CORRECTIONS #2.7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BusClosedError, PayloadError, prepareEvent, TopicError, type Bus, type BusEvent } from '../../../src/bus/index.js';
import { drain, take, until } from '../../support/events.js';

export interface TransportCapabilities {
  /** Events reach subscribers (false for `null`). */
  readonly delivers: boolean;
  /** Pre-minted ids and timestamps are kept end to end (the unix broker re-mints). */
  readonly keepsIds: boolean;
}

export interface TransportHarness {
  readonly capabilities: TransportCapabilities;
  /** A new client of the shared broker/hub under test. */
  create(opts: { name: string; strict?: boolean; queue?: number }): Bus;
}

let serial = 0;
/** A topic root of its own per case, so cases never see each other's events. */
function root(): string {
  serial++;
  return `conf${process.pid}x${serial}`;
}

export function runBusConformance(transport: string, makeHarness: () => TransportHarness | Promise<TransportHarness>): void {
  describe(`bus conformance: ${transport}`, () => {
    const open: Bus[] = [];
    let harness: TransportHarness;
    const bus = async (name: string, extra: { strict?: boolean; queue?: number } = {}): Promise<Bus> => {
      harness ??= await makeHarness();
      const b = harness.create({ name, strict: extra.strict ?? true, ...(extra.queue === undefined ? {} : { queue: extra.queue }) });
      open.push(b);
      return b;
    };
    const caps = async (): Promise<TransportCapabilities> => {
      harness ??= await makeHarness();
      return harness.capabilities;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    describe('publish and delivery', () => {
      it('delivers an event to another client subscribed to the exact topic, as a JSON round-trip', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const sub = b.subscribe(`${r}.exact`);
        await sub.ready;
        const when = new Date('2026-01-02T03:04:05.000Z');
        await a.publish(`${r}.exact`, { n: 1, nested: { list: [1, 'two', null] }, when });
        if (!(await caps()).delivers) {
          await b.close();
          expect(await drain(sub)).toEqual([]);
          return;
        }
        const [ev] = await take(sub, 1);
        expect(ev?.topic).toBe(`${r}.exact`);
        expect(ev?.payload).toEqual({ n: 1, nested: { list: [1, 'two', null] }, when: '2026-01-02T03:04:05.000Z' });
      });

      it('mints a complete envelope: v 1, 32-hex id, epoch-seconds ts, topic from the transport', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const sub = b.subscribe(`${r}.>`);
        await sub.ready;
        const before = Date.now() / 1000;
        await a.publish(`${r}.env`, { x: 1 });
        if (!(await caps()).delivers) return;
        const [ev] = await take(sub, 1);
        expect(ev).toMatchObject({ v: 1, topic: `${r}.env`, type: '', payload: { x: 1 } });
        expect(ev?.id).toMatch(/^[0-9a-f]{32}$/);
        expect(typeof ev?.ts).toBe('number');
        expect(ev?.ts).toBeGreaterThan(before - 60);
        expect(Object.keys(ev ?? {})).toEqual(['v', 'id', 'topic', 'type', 'ts', 'payload']);
      });

      it('fills `type` from the catalogue and keeps an explicit type on unknown topics', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const sub = b.subscribe('system.*.health');
        const r = root();
        const other = b.subscribe(`${r}.>`);
        await Promise.all([sub.ready, other.ready]);
        const worker = `w${r}`;
        await a.publish(`system.${worker}.health`, { worker, ts: 1767225600.5 });
        await a.publish(`${r}.typed`, { x: 1 }, { type: 'custom' });
        if (!(await caps()).delivers) return;
        const [health] = await take(sub, 1);
        expect(health?.type).toBe('health');
        const [typed] = await take(other, 1);
        expect(typed?.type).toBe('custom');
      });

      it('keeps a pre-minted id and ts where the transport promises to', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const sub = b.subscribe(`${r}.premint`);
        await sub.ready;
        const id = 'ab'.repeat(16);
        await a.publish(`${r}.premint`, { k: 1 }, { id, ts: 1700000000.123456 });
        if (!(await caps()).delivers) return;
        const [ev] = await take(sub, 1);
        if ((await caps()).keepsIds) {
          expect(ev?.id).toBe(id);
          expect(ev?.ts).toBe(1700000000.123456);
        } else {
          expect(ev?.id).toMatch(/^[0-9a-f]{32}$/);
        }
      });

      it('publishPrepared sends an event prepareEvent made as publish would send it, counted, and drops it after close', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const sub = b.subscribe(`${r}.prepared`);
        await sub.ready;
        const context = { now: () => 1700000000123.456, strict: true, onInvalid: () => undefined };
        const event = prepareEvent(`${r}.prepared`, { k: 'v', list: [1, 2] }, { type: 'custom' }, context);
        a.publishPrepared(event);
        expect(a.stats().published).toBe(1);
        if ((await caps()).delivers) {
          const [ev] = await take(sub, 1);
          expect(ev).toMatchObject({ v: 1, topic: `${r}.prepared`, type: 'custom', payload: { k: 'v', list: [1, 2] } });
          if ((await caps()).keepsIds) expect(ev).toMatchObject({ id: event.id, ts: 1700000000.123456 });
        }
        await a.close();
        a.publishPrepared(event);
        expect(a.stats().published).toBe(1);
      });
    });

    describe('wildcards and overlapping patterns', () => {
      it('routes `*` to exactly one token and `>` to one or more', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const star = b.subscribe(`${r}.*.status`);
        const tail = b.subscribe(`${r}.>`);
        await Promise.all([star.ready, tail.ready]);
        await a.publish(`${r}.t1.status`, { i: 1 });
        await a.publish(`${r}.t1.mutation.applied`, { i: 2 });
        await a.publish(`${r}.t2.status`, { i: 3 });
        if (!(await caps()).delivers) return;
        expect((await take(tail, 3)).map((e) => e.payload.i)).toEqual([1, 2, 3]);
        expect((await take(star, 2)).map((e) => e.payload.i)).toEqual([1, 3]);
      });

      it('gives each local subscription its own copy when patterns overlap, and one per subscription', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const s1 = b.subscribe(`${r}.>`);
        const s2 = b.subscribe(`${r}.x.*`);
        const s3 = b.subscribe(`${r}.x.y`);
        await Promise.all([s1.ready, s2.ready, s3.ready]);
        await a.publish(`${r}.x.y`, { v: 1 });
        await a.publish(`${r}.end`, { v: 2 });
        if (!(await caps()).delivers) return;
        const got1 = await take(s1, 2);
        expect(got1.map((e) => e.payload.v)).toEqual([1, 2]); // once, not once per matching pattern
        const [e2] = await take(s2, 1);
        const [e3] = await take(s3, 1);
        (e2 as BusEvent).payload.v = 99; // mutating one copy...
        expect(e3?.payload.v).toBe(1); // ...does not touch another
        expect(got1[0]?.payload.v).toBe(1);
      });

      it('reference-counts a pattern: closing one of two subscriptions keeps the other receiving', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const s1 = b.subscribe(`${r}.same`);
        const s2 = b.subscribe(`${r}.same`);
        await Promise.all([s1.ready, s2.ready]);
        await s1.close();
        await a.publish(`${r}.same`, { v: 1 });
        if (!(await caps()).delivers) return;
        const [ev] = await take(s2, 1);
        expect(ev?.payload.v).toBe(1);
        expect(await drain(s1)).toEqual([]);
        const s3 = b.subscribe(`${r}.same`);
        await s3.ready;
        await s2.close();
        await a.publish(`${r}.same`, { v: 2 });
        expect((await take(s3, 1))[0]?.payload.v).toBe(2);
      });

      it('stops routing a pattern once its last subscription closes', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const gone = b.subscribe(`${r}.gone`);
        await gone.ready;
        await gone.close();
        const marker = b.subscribe(`${r}.marker`);
        await marker.ready;
        await a.publish(`${r}.gone`, { v: 1 });
        await a.publish(`${r}.marker`, { v: 2 });
        if (!(await caps()).delivers) return;
        await take(marker, 1);
        expect(b.stats().delivered).toBe(1);
      });
    });

    describe('own events and ordering', () => {
      it('delivers a client its own matching events', async () => {
        const a = await bus('self');
        const r = root();
        const sub = a.subscribe(`${r}.own`);
        await sub.ready;
        await a.publish(`${r}.own`, { mine: true });
        if (!(await caps()).delivers) return;
        const [ev] = await take(sub, 1);
        expect(ev?.payload).toEqual({ mine: true });
      });

      it('keeps one publisher’s order for each subscriber', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const sub = b.subscribe(`${r}.seq`, { queue: 2000 });
        const own = a.subscribe(`${r}.seq`, { queue: 2000 });
        await Promise.all([sub.ready, own.ready]);
        const n = 1000;
        for (let i = 0; i < n; i++) void a.publish(`${r}.seq`, { i });
        if (!(await caps()).delivers) return;
        const expected = Array.from({ length: n }, (_, i) => i);
        expect((await take(sub, n)).map((e) => e.payload.i)).toEqual(expected);
        expect((await take(own, n)).map((e) => e.payload.i)).toEqual(expected);
      });
    });

    describe('slow consumers', () => {
      it('drops the oldest events past the queue bound and counts them', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const slow = b.subscribe(`${r}.flood`, { queue: 10 });
        const fast = b.subscribe(`${r}.flood`, { queue: 1000 });
        await Promise.all([slow.ready, fast.ready]);
        for (let i = 0; i < 100; i++) void a.publish(`${r}.flood`, { i });
        if (!(await caps()).delivers) return;
        await take(fast, 100); // every event has reached this client
        expect(slow.dropped).toBe(90);
        expect(b.stats().dropped_slow).toBe(90);
        expect((await take(slow, 10)).map((e) => e.payload.i)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
      });
    });

    describe('caller bugs throw, typed', () => {
      it('rejects an invalid or wildcard topic with a TopicError naming the token', async () => {
        const a = await bus('bugs');
        await expect(a.publish('a..b', {})).rejects.toBeInstanceOf(TopicError);
        await expect(a.publish('a.*', {})).rejects.toThrow(/"\*"/);
        await expect(a.publish('a.b>', {})).rejects.toBeInstanceOf(TopicError);
        await expect(a.publish('a.b c', {})).rejects.toThrow(/"b c"/);
        await expect(a.publish('', {})).rejects.toBeInstanceOf(TopicError);
      });

      it('rejects payloads that are not JSON objects, cannot be serialised or are too large', async () => {
        const a = await bus('bugs');
        const r = root();
        const bad: unknown[] = [null, 3, 'text', [1, 2], undefined];
        for (const p of bad) await expect(a.publish(`${r}.p`, p as Record<string, unknown>)).rejects.toBeInstanceOf(PayloadError);
        await expect(a.publish(`${r}.p`, { n: 10n } as unknown as Record<string, unknown>)).rejects.toBeInstanceOf(PayloadError);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        await expect(a.publish(`${r}.p`, cyclic)).rejects.toBeInstanceOf(PayloadError);
        await expect(a.publish(`${r}.p`, { blob: 'x'.repeat(1024 * 1024) })).rejects.toThrow(/limit is 1047552 bytes/);
        await expect(a.publish(`${r}.p`, { blob: 'x'.repeat(1024 * 1024 - 2048) })).resolves.toBeUndefined();
      });

      it('rejects a pre-minted id that is not 32 lowercase hex digits, or a ts that is not epoch seconds', async () => {
        const a = await bus('bugs');
        const r = root();
        for (const id of ['AB'.repeat(16), 'ab'.repeat(15), `${'ab'.repeat(15)}-x`, '']) await expect(a.publish(`${r}.p`, {}, { id })).rejects.toThrow(/id must be 32 lowercase hex digits/);
        for (const ts of [-1, Number.NaN, Number.POSITIVE_INFINITY]) await expect(a.publish(`${r}.p`, {}, { ts })).rejects.toThrow(/ts must be epoch seconds/);
        await expect(a.publish(`${r}.p`, {}, { id: 'ab'.repeat(16), ts: 1 })).resolves.toBeUndefined();
      });

      it('in strict mode rejects a payload that breaks its schema, or a type that is not the catalogue’s', async () => {
        const a = await bus('strict', { strict: true });
        await expect(a.publish('attacker.scored', { attacker_ip: 42 } as never)).rejects.toBeInstanceOf(PayloadError);
        await expect(a.publish('system.bus.health', { worker: 'bus' } as never, { type: 'health' })).rejects.toThrow(/type "health" differs/);
      });

      it('outside strict mode sends a mismatching payload and counts it', async () => {
        const a = await bus('lenient', { strict: false });
        await expect(a.publish('attacker.scored', { attacker_ip: 42 } as never)).resolves.toBeUndefined();
        expect(a.stats().invalid_payloads).toBe(1);
      });

      it('throws a TopicError synchronously from subscribe for a bad pattern', async () => {
        const a = await bus('bugs');
        for (const p of ['a.>.b', 'a.*b', 'a..b', '.a', 'a.', '', 'a b']) expect(() => a.subscribe(p)).toThrow(TopicError);
      });
    });

    describe('ready, state and close', () => {
      it('connects idempotently and reports connected', async () => {
        const a = await bus('state');
        const seen: string[] = [];
        a.on('state', (c) => seen.push(c.state));
        await a.connect();
        await a.connect();
        expect(a.state).toBe('connected');
        expect(seen.filter((s) => s === 'connected').length).toBeLessThanOrEqual(1);
      });

      it('resolves `ready` for every subscription, also for a repeated pattern', async () => {
        const a = await bus('ready');
        const r = root();
        const s1 = a.subscribe(`${r}.r`);
        const s2 = a.subscribe(`${r}.r`);
        await expect(Promise.all([s1.ready, s2.ready])).resolves.toBeDefined();
      });

      it('ends a subscription’s iterator on sub.close(), idempotently', async () => {
        const a = await bus('close');
        const sub = a.subscribe(`${root()}.c`);
        await sub.ready;
        const pending = drain(sub);
        await sub.close();
        await sub.close();
        expect(await pending).toEqual([]);
      });

      it('on bus.close() ends every iterator, drops later publishes quietly, refuses subscribe, and is idempotent', async () => {
        const a = await bus('close');
        const r = root();
        const sub = a.subscribe(`${r}.c`);
        await sub.ready;
        const pending = drain(sub);
        await a.close();
        await a.close();
        expect(await pending).toEqual([]);
        expect(a.state).toBe('closed');
        await expect(a.publish(`${r}.c`, { late: true })).resolves.toBeUndefined();
        expect(() => a.subscribe(`${r}.c`)).toThrow(BusClosedError);
        await expect(a.publish('a..b', {})).rejects.toBeInstanceOf(TopicError); // caller bugs still surface
      });

      it('counts published and delivered events in stats()', async () => {
        const [a, b] = [await bus('pub'), await bus('sub')];
        const r = root();
        const sub = b.subscribe(`${r}.s`);
        await sub.ready;
        await a.publish(`${r}.s`, {});
        await a.publish(`${r}.s`, {});
        expect(a.stats().published).toBe(2);
        if (!(await caps()).delivers) {
          expect(b.stats().delivered).toBe(0);
          return;
        }
        await take(sub, 2);
        expect(b.stats().delivered).toBe(2);
        await until(() => b.stats().delivered === 2, 'delivered count');
      });
    });
  });
}
