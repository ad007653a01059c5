/**
 * Fuzz (spec/bus.md §3.5, issue #3 item 2): many connections throw random bytes, random
 * frames and mutated valid frames at one broker, split at random points, some never
 * reading; afterwards a well-behaved client still publishes and receives, and every bound
 * still holds. No input may crash the broker (an uncaught error fails the run).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../src/bus/codec/index.js';
import type { Broker } from '../../../src/bus/broker/index.js';
import { bodyJson, RawPeer } from '../../support/raw-peer.js';
import { until } from '../../support/events.js';
import { arbFrame, splitAt } from '../codec/support.js';
import { broker, v2Peer } from './support.js';

const TOPICS = ['a.b', 'a.b.c', 'fuzz.x', 'system.bus.health', 'ok.y', 'a..b', 'a.*', '', ' ', 'x.>', 'é.t'];
const PATTERNS = ['a.>', '*.b', 'fuzz.*', '>', 'a.*b', '', 'x..y', 'ok.>', '*'];

/** Frames a plausible client sends: these reach routing, so the outbound path is exercised too. */
const arbPlausible: fc.Arbitrary<Buffer> = fc.oneof(
  fc.record({ topic: fc.constantFrom(...TOPICS), type: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), payload: fc.oneof(fc.object({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 1 })) }).map(({ topic, type, payload }) => {
    const body = JSON.stringify({ type, payload });
    try {
      return encodeFrame('PUB', topic.trim(), body);
    } catch {
      return encodeFrame('PUB', 'fuzz.x', body);
    }
  }),
  fc.tuple(fc.constantFrom('SUB' as const, 'SUB' as const, 'UNSUB' as const), fc.constantFrom(...PATTERNS)).map(([verb, p]) => encodeFrame(verb, p.trim())),
  fc.constant(encodeFrame('HELLO', 'fuzzer', '{"proto":2}')),
  fc.constant(encodeFrame('HELLO', 'fuzzer-v1')),
  fc.constantFrom(encodeFrame('PING'), encodeFrame('STATS'), encodeFrame('BYE')),
);

/** Well-formed frames: mostly plausible ones, some of any verb with any body (many of them framing errors). */
const arbValid: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: arbPlausible },
  { weight: 1, arbitrary: arbFrame(32, 256).map((f) => encodeFrame(f.verb, f.args, f.body)) },
);

type Mutation = { kind: 'flip'; at: number; byte: number } | { kind: 'cut'; at: number } | { kind: 'dup'; at: number; len: number } | { kind: 'insert'; at: number; bytes: Uint8Array };

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function mutate(buf: Buffer, m: Mutation): Buffer {
  if (buf.length === 0) return buf;
  const at = m.at % buf.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(buf);
      out[at] = m.byte;
      return out;
    }
    case 'cut':
      return buf.subarray(0, at);
    case 'dup':
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + m.len), buf.subarray(at)]);
    case 'insert':
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
  }
}

const arbChunk: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 5, arbitrary: arbValid },
  { weight: 2, arbitrary: fc.tuple(arbValid, fc.array(arbMutation, { minLength: 1, maxLength: 3 })).map(([b, ms]) => ms.reduce(mutate, b)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)) },
);

interface FuzzPeer {
  chunks: Buffer[];
  cuts: number[];
  paused: boolean;
  ending: 'end' | 'destroy' | 'stay';
}

const arbPeer: fc.Arbitrary<FuzzPeer> = fc.record({
  chunks: fc.array(arbChunk, { minLength: 1, maxLength: 12 }),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  paused: fc.boolean(),
  ending: fc.constantFrom('end' as const, 'destroy' as const, 'stay' as const),
});

async function wellBehaved(b: Broker, round: number): Promise<void> {
  const sub = await v2Peer(b, `good-sub-${round}`, 'good.>');
  const pub = await v2Peer(b, `good-pub-${round}`);
  pub.pub('good.event', { type: 'check', payload: { round } });
  const [e] = await sub.evts(1, 'good.event');
  expect(bodyJson(e!)).toMatchObject({ type: 'check', payload: { round } });
  sub.destroy();
  pub.destroy();
}

describe('broker fuzz', () => {
  it('survives random and mutated frames from many connections', async () => {
    const maxPendingBytes = 64 * 1024;
    const b = await broker({ maxPendingBytes, maxPendingFrames: 256 });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(arbPeer, { minLength: 4, maxLength: 16 }), async (plans) => {
        round++;
        const peers = await Promise.all(plans.map((plan) => RawPeer.connect(b.socketPath, { paused: plan.paused })));
        for (const [i, plan] of plans.entries()) {
          const p = peers[i]!;
          for (const piece of splitAt(Buffer.concat(plan.chunks), plan.cuts)) p.sendRaw(piece);
          if (plan.ending === 'end') p.end();
          else if (plan.ending === 'destroy') p.destroy();
        }
        // a good pair works while the fuzzers are still connected
        await wellBehaved(b, round);
        for (const row of b.stats().per_connection) {
          expect(row.queued_bytes).toBeLessThanOrEqual(maxPendingBytes);
          expect(row.queued_frames).toBeLessThanOrEqual(256);
        }
        for (const p of peers) p.destroy();
        await until(() => b.stats().connections === 0, 'every fuzz connection to be closed');
      }),
      { numRuns: 40 },
    );
    // and after all of it
    await wellBehaved(b, -1);
    await until(() => b.stats().connections === 0, 'the last connections to be closed');
    expect(b.stats().subscriptions).toBe(0);
  }, 120_000);
});
