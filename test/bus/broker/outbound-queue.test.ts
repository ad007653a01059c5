/** The per-connection outbound queue: bounded in bytes and frames, drop-oldest, counted (CORRECTIONS #3.4). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutboundQueue } from '../../../src/bus/broker/outbound-queue.js';

describe('OutboundQueue', () => {
  it('never exceeds its bounds, keeps FIFO order of what it keeps, drops the oldest, counts every drop', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 2048 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 600 }).map((n) => ({ push: n })), fc.constant({ shift: true as const })), { maxLength: 400 }),
        (maxFrames, maxBytes, ops) => {
          const q = new OutboundQueue(maxBytes, maxFrames);
          const model: Buffer[] = [];
          let seq = 0;
          let dropped = 0;
          for (const op of ops) {
            if ('push' in op) {
              const frame = Buffer.alloc(op.push + 4);
              frame.writeUInt32BE(seq++);
              const lost = q.push(frame);
              if (frame.length > maxBytes) {
                expect(lost).toBe(1);
                dropped++;
              } else {
                model.push(frame);
                let bytes = model.reduce((s, f) => s + f.length, 0);
                let expectLost = 0;
                while (model.length > maxFrames || bytes > maxBytes) {
                  bytes -= model.shift()!.length;
                  expectLost++;
                }
                expect(lost).toBe(expectLost);
                dropped += expectLost;
              }
            } else {
              expect(q.shift()).toBe(model.shift());
            }
            expect(q.length).toBe(model.length);
            expect(q.bytes).toBe(model.reduce((s, f) => s + f.length, 0));
            expect(q.length).toBeLessThanOrEqual(maxFrames);
            expect(q.bytes).toBeLessThanOrEqual(maxBytes);
            expect(q.dropped).toBe(dropped);
            expect(q.peek()).toBe(model[0]);
          }
        },
      ),
    );
  });

  it('stays O(1) amortised over a long run (the backing array is compacted)', () => {
    const q = new OutboundQueue(1 << 30, 1 << 20);
    const f = Buffer.alloc(1);
    for (let i = 0; i < 100_000; i++) {
      q.push(f);
      q.push(f);
      q.shift();
    }
    expect(q.length).toBe(100_000);
    for (let i = 0; i < 100_000; i++) q.shift();
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
    q.clear();
    expect(q.shift()).toBeUndefined();
  });

  it('refuses nonsense bounds', () => {
    expect(() => new OutboundQueue(0, 1)).toThrow(RangeError);
    expect(() => new OutboundQueue(1, 1.5)).toThrow(RangeError);
  });
});
