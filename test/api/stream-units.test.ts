/** The stream's parts on their own: the client queue, tickets, slots, the request rules. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import { ClientQueue, type FrameSink } from '../../src/api/stream/client-queue.js';
import { formatCursor, parseCursor } from '../../src/api/stream/frames.js';
import { reducePatterns } from '../../src/api/stream/request.js';
import { StreamSlots } from '../../src/api/stream/slots.js';
import { TicketStore } from '../../src/api/stream/tickets.js';
import { forbiddenCover, mayReceive } from '../../src/api/stream/viewer-filter.js';

/** A socket that takes `room` writes, then says "full" until `drain()`. */
class FakeSink implements FrameSink {
  written: string[] = [];
  private listener: (() => void) | undefined;
  constructor(public room = Number.POSITIVE_INFINITY) {}
  write(chunk: string): boolean {
    this.written.push(chunk);
    this.room--;
    return this.room > 0;
  }
  once(_e: 'drain', fn: () => void): this {
    this.listener = fn;
    return this;
  }
  removeListener(): this {
    this.listener = undefined;
    return this;
  }
  drain(room = Number.POSITIVE_INFINITY): void {
    this.room = room;
    const fn = this.listener;
    this.listener = undefined;
    fn?.();
  }
}

describe('ClientQueue', () => {
  it('writes while the socket takes it, then holds, drops the oldest past 256 and announces a gap', () => {
    const clock = new FakeClock();
    const sink = new FakeSink(2);
    let stalled = 0;
    const q = new ClientQueue(sink, { clock, onStall: () => stalled++ });
    for (let i = 0; i < 300; i++) q.push(`f${i}\n\n`);
    expect(sink.written).toEqual(['f0\n\n', 'f1\n\n']);
    expect(q.pending).toBe(256);
    expect(q.dropped).toBe(42);
    sink.drain();
    expect(sink.written[2]).toBe('event: gap\ndata: {"dropped":42}\n\n');
    expect(sink.written[3]).toBe('f44\n\n');
    expect(sink.written).toHaveLength(2 + 1 + 256);
    expect(stalled).toBe(0);
  });

  it('bounds the bytes at 1 MiB, keeping a single larger frame', () => {
    const clock = new FakeClock();
    const sink = new FakeSink(1);
    const q = new ClientQueue(sink, { clock, onStall: () => undefined });
    q.push('first');
    const big = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 5; i++) q.push(big);
    expect(q.pending).toBe(3);
    expect(q.dropped).toBe(2);
    q.push('y'.repeat(2 * 1024 * 1024));
    expect(q.pending).toBe(1);
  });

  it('cuts a client that has not drained for 30 s (clock)', () => {
    const clock = new FakeClock();
    const sink = new FakeSink(1);
    let stalled = 0;
    const q = new ClientQueue(sink, { clock, onStall: () => stalled++ });
    q.push('a');
    clock.advance(29_999);
    expect(stalled).toBe(0);
    clock.advance(1);
    expect(stalled).toBe(1);
    q.push('b'); // closed: ignored
    expect(sink.written).toEqual(['a']);
  });

  it('a drain in time resets the cut', () => {
    const clock = new FakeClock();
    const sink = new FakeSink(1);
    let stalled = 0;
    const q = new ClientQueue(sink, { clock, onStall: () => stalled++ });
    q.push('a');
    clock.advance(20_000);
    sink.drain();
    clock.advance(20_000);
    expect(stalled).toBe(0);
    q.close();
  });

  it('sends a keepalive after 15 s without a frame, one timer per client', () => {
    const clock = new FakeClock();
    const sink = new FakeSink();
    const q = new ClientQueue(sink, { clock, onStall: () => undefined });
    clock.advance(10_000);
    q.push('a');
    clock.advance(10_000);
    expect(sink.written).toEqual(['a']);
    clock.advance(5_000);
    expect(sink.written).toEqual(['a', ': keepalive\n\n']);
    expect(clock.pending).toBe(1);
    clock.advance(15_000);
    expect(sink.written.filter((w) => w.startsWith(':'))).toHaveLength(2);
    q.close();
    expect(clock.pending).toBe(0);
  });

  it('whenRoom waits for the drain', async () => {
    const clock = new FakeClock();
    const sink = new FakeSink(1);
    const q = new ClientQueue(sink, { clock, onStall: () => undefined });
    q.push('a');
    let ready = false;
    const waiting = q.whenRoom().then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    sink.drain();
    await waiting;
    expect(ready).toBe(true);
  });
});

describe('TicketStore', () => {
  it('is single-use, even when expired, and lasts 60 s', () => {
    const clock = new FakeClock();
    const store = new TicketStore(clock);
    const { ticket, expiresIn } = store.mint('u1', 'viewer', 0);
    expect(expiresIn).toBe(60);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.take(ticket)).toMatchObject({ userId: 'u1', role: 'viewer' });
    expect(store.take(ticket)).toBeUndefined();
    const late = store.mint('u1', 'viewer', 0).ticket;
    clock.advance(60_000);
    expect(store.take(late)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('keeps at most 20 per user (the 21st evicts the oldest) and sweeps expired ones', () => {
    const clock = new FakeClock();
    const store = new TicketStore(clock);
    const mine = Array.from({ length: 21 }, () => store.mint('u1', 'viewer', 0).ticket);
    const other = store.mint('u2', 'admin', 0).ticket;
    expect(store.size).toBe(21);
    expect(store.take(mine[0] as string)).toBeUndefined();
    expect(store.take(mine[1] as string)).toBeDefined();
    expect(store.take(other)).toMatchObject({ userId: 'u2', role: 'admin' });
    clock.advance(61_000);
    store.mint('u3', 'viewer', 0);
    expect(store.size).toBe(1);
  });

  it('issues at max(floor(now), the cutoff)', () => {
    const clock = new FakeClock(1_000_500);
    const store = new TicketStore(clock);
    expect(store.take(store.mint('u', 'viewer', 0).ticket)?.issuedAt).toBe(1000);
    expect(store.take(store.mint('u', 'viewer', 1001).ticket)?.issuedAt).toBe(1001);
  });
});

describe('StreamSlots', () => {
  it('caps per user and in all, and releases once', () => {
    const slots = new StreamSlots(2, 3);
    const a = slots.acquire('a');
    slots.acquire('a');
    expect(() => slots.acquire('a')).toThrow('SSE connection limit (2) reached');
    slots.acquire('b');
    expect(() => slots.acquire('c')).toThrow(/limit \(3 in all\)/);
    a.release();
    a.release();
    expect(slots.size).toBe(2);
    expect(slots.countFor('a')).toBe(1);
    slots.acquire('c');
    expect(() => slots.acquire('d')).toThrow();
  });
});

describe('request rules', () => {
  it('the viewer filter: covered is refused, overlapping is filtered', () => {
    expect(forbiddenCover('smtp.>')).toBe('smtp.>');
    expect(forbiddenCover('smtp.*.pending')).toBe('smtp.>');
    expect(forbiddenCover('system.*.control')).toBe('system.*.control');
    expect(forbiddenCover('system.webhook.control')).toBe('system.*.control');
    for (const p of ['>', 'system.>', 'system.*.*', '*.probe.pending', 'sys.>']) expect(forbiddenCover(p), p).toBeUndefined();
    expect(mayReceive('viewer', 'system.api.control')).toBe(false);
    expect(mayReceive('viewer', 'smtp.probe.pending')).toBe(false);
    expect(mayReceive('viewer', 'system.api.health')).toBe(true);
    expect(mayReceive('admin', 'smtp.probe.pending')).toBe(true);
  });

  it('patterns: duplicates and covered ones go', () => {
    expect(reducePatterns(['a.>', 'a.b', 'a.>', 'c.*', 'c.d', '*.d'])).toEqual(['a.>', 'c.*', '*.d']);
    expect(reducePatterns(['>', 'a.b'])).toEqual(['>']);
  });

  it('cursors are <seq>:<log id>', () => {
    expect(formatCursor(42)).toBe('42:0');
    expect(parseCursor('42:0')).toEqual({ seq: 42, log: 0 });
    expect(parseCursor('7')).toEqual({ seq: 7, log: 0 });
    for (const bad of ['', 'x', '1:', ':1', '-1:0', '1:0:0', '1.5:0']) expect(parseCursor(bad), bad).toBeUndefined();
  });
});
