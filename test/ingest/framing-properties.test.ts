/**
 * Properties of the byte-level parsers every network and file source goes through
 * (eventplane.md §8.3): LF splitting with the line limit (LineSplitter) and RFC 6587
 * framing (FrameDecoder). A stream means the same whatever chunks it arrives in; framed
 * messages come back byte for byte; arbitrary bytes never throw, stay within the memory
 * bounds and end in at most one framing error. The last case throws random streams at a
 * real TcpListener and checks it still takes a good connection's line afterwards.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/bus/index.js';
import { FrameDecoder, TcpListener } from '../../src/ingest/index.js';
import { LineSplitter, TOO_LONG_KEEP, type SplitLine } from '../../src/ingest/sources/lines.js';
import { splitAt } from '../bus/codec/support.js';
import { until } from '../support/events.js';
import { harness, type Harness } from './support.js';

type Seen = { bytes: string; endOffset: number; tooLong: boolean };
const seen = (l: SplitLine): Seen => ({ bytes: l.bytes.toString('latin1'), endOffset: l.endOffset, tooLong: l.tooLong });

/** What splitting `buf` must give: each LF-ended segment, then a non-empty tail, cut as the limit says. */
function modelLines(buf: Buffer, maxLine: number): Seen[] {
  const out: Seen[] = [];
  let start = 0;
  const emit = (end: number, endOffset: number): void => {
    const body = buf.subarray(start, end);
    const tooLong = body.length > maxLine;
    out.push({ bytes: (tooLong ? body.subarray(0, TOO_LONG_KEEP) : body).toString('latin1'), endOffset, tooLong });
  };
  for (let lf = buf.indexOf(10); lf !== -1; lf = buf.indexOf(10, start)) {
    emit(lf, lf + 1);
    start = lf + 1;
  }
  if (start < buf.length) emit(buf.length, buf.length);
  return out;
}

function splitAll(chunks: readonly Buffer[], maxLine: number): Seen[] {
  const splitter = new LineSplitter(maxLine);
  const out = chunks.flatMap((c) => splitter.push(c).map(seen));
  const last = splitter.finish();
  return last ? [...out, seen(last)] : out;
}

/** Bytes biased towards what matters to a splitter or a framer: LF, digits, space, `<`, NUL, CR. */
const arbByte = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 2, arbitrary: fc.constantFrom(10, 13, 0, 32, 60, 48, 49, 50, 57) });
const arbStream = (max: number): fc.Arbitrary<Buffer> => fc.array(arbByte, { maxLength: max }).map((b) => Buffer.from(b));
const arbCuts = fc.array(fc.nat(), { maxLength: 12 });

describe('LineSplitter', () => {
  it('gives the lines of the whole stream, with offsets past each LF, whatever the chunks (property)', () => {
    fc.assert(
      fc.property(arbStream(400), arbCuts, fc.integer({ min: 1, max: 64 }), (buf, cuts, maxLine) => {
        expect(splitAll(splitAt(buf, cuts), maxLine)).toEqual(modelLines(buf, maxLine));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the first 8 KiB of an over-long line and skips the rest, split anywhere (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: TOO_LONG_KEEP - 2, max: 3 * TOO_LONG_KEEP }), arbCuts, fc.constantFrom(100, TOO_LONG_KEEP, 2 * TOO_LONG_KEEP), (length, cuts, maxLine) => {
        const buf = Buffer.concat([Buffer.alloc(length, 0x61), Buffer.from('\nnext\n')]);
        const lines = splitAll(splitAt(buf, cuts), maxLine);
        expect(lines).toEqual(modelLines(buf, maxLine));
        expect(lines[0]?.bytes.length).toBe(length > maxLine ? Math.min(length, TOO_LONG_KEEP) : length);
        expect(lines[1]).toEqual({ bytes: 'next', endOffset: buf.length, tooLong: false });
      }),
      { numRuns: 60 },
    );
  });
});

type Decoded = Array<{ line: string; tooLong: boolean } | { error: string }>;

function decodeAll(chunks: readonly Buffer[], maxLine: number): Decoded {
  const decoder = new FrameDecoder(maxLine);
  const frames = [...chunks.flatMap((c) => decoder.push(c)), ...decoder.end()];
  return frames.map((f) => (f.kind === 'line' ? { line: f.line.bytes.toString('latin1'), tooLong: f.line.tooLong } : { error: f.reason }));
}

/** A message and its RFC 6587 frame: octet counting (any bytes, not ending in LF or NUL, which a frame's end drops) or LF framing (`<…` without LF). */
const arbFramed = (maxLine: number): fc.Arbitrary<{ message: Buffer; frame: Buffer }> =>
  fc.oneof(
    fc
      .array(arbByte, { minLength: 1, maxLength: maxLine })
      .filter((b) => b.at(-1) !== 10 && b.at(-1) !== 0)
      .map((b) => {
        const message = Buffer.from(b);
        return { message, frame: Buffer.concat([Buffer.from(`${message.length} `), message]) };
      }),
    fc
      .array(arbByte.filter((b) => b !== 10), { maxLength: maxLine - 1 })
      .map((b) => {
        const message = Buffer.from([60, ...b]);
        return { message, frame: Buffer.concat([message, Buffer.from('\n')]) };
      }),
  );
/** What may sit between frames: skipped. */
const arbGap = fc.array(fc.constantFrom(10, 13, 32, 0, 9), { maxLength: 3 }).map((b) => Buffer.from(b));

describe('FrameDecoder', () => {
  const MAX = 48;

  it('gives back every framed message byte for byte, octet counted or LF framed, split anywhere (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbFramed(MAX), arbGap), { maxLength: 12 }), arbCuts, (framed, cuts) => {
        const stream = Buffer.concat(framed.flatMap(([f, gap]) => [f.frame, gap]));
        expect(decodeAll(splitAt(stream, cuts), MAX)).toEqual(framed.map(([f]) => ({ line: f.message.toString('latin1'), tooLong: false })));
      }),
      { numRuns: 500 },
    );
  });

  it('takes any bytes without throwing: the same frames whatever the chunks, within the bounds, and nothing after an error (fuzz)', () => {
    fc.assert(
      fc.property(arbStream(600), arbCuts, fc.integer({ min: 1, max: 64 }), (buf, cuts, maxLine) => {
        const whole = decodeAll([buf], maxLine);
        expect(decodeAll(splitAt(buf, cuts), maxLine)).toEqual(whole);
        const firstError = whole.findIndex((f) => 'error' in f);
        if (firstError !== -1) expect(firstError).toBe(whole.length - 1);
        for (const f of whole) if ('line' in f) expect(f.line.length).toBeLessThanOrEqual(f.tooLong ? TOO_LONG_KEEP : maxLine);
      }),
      { numRuns: 1000 },
    );
  });

  it('previews at most 8 KiB of what it refused', () => {
    const decoder = new FrameDecoder(MAX);
    const [frame] = decoder.push(Buffer.alloc(3 * TOO_LONG_KEEP, 0x7b));
    expect(frame).toMatchObject({ kind: 'error', reason: 'bad_frame' });
    expect(frame?.kind === 'error' && frame.preview.length).toBe(TOO_LONG_KEEP);
    expect(decoder.push(Buffer.from('5 hello'))).toEqual([]);
  });
});

describe('TcpListener under random streams', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('survives random byte streams on real connections and still stores a good connection’s line (fuzz)', async () => {
    h = await harness();
    const batcher = await h.pipeline({ batchSize: 50, batchMaxWaitMs: 10 }).openSource({ id: 'tcp:127.0.0.1:0', kind: 'tcp', format: 'auto', path: '127.0.0.1:0', rowSource: 'tcp:127.0.0.1:0' });
    const listener = new TcpListener({ batcher, host: '127.0.0.1', port: 0, maxLine: 256, log: silentLogger, clock: systemClock });
    const { port } = await listener.start();
    try {
      const streams = fc.sample(fc.tuple(arbStream(2000), arbCuts), { numRuns: 40, seed: 7 });
      await Promise.all(
        streams.map(
          ([buf, cuts]) =>
            new Promise<void>((resolve) => {
              const s = connect(port, '127.0.0.1', () => {
                for (const c of splitAt(buf, cuts)) s.write(c);
                s.end();
              });
              s.on('error', () => undefined); // the listener may close a connection mid-write
              s.on('close', () => resolve());
              s.resume();
            }),
        ),
      );
      const good = '<134>1 2026-05-01T12:00:00.000001Z decky-01 ssh - probe [relay@55555 src_ip="192.0.2.9" n="good"] after the fuzz';
      const s = connect(port, '127.0.0.1', () => s.end(`${Buffer.byteLength(good)} ${good}`));
      await until(async () => (await h!.db.repos.logs.list({ attackerIp: '192.0.2.9' }, { limit: 5, offset: 0 })).total === 1, 'the good line stored');
      const [row] = (await h.db.repos.logs.list({ attackerIp: '192.0.2.9' }, { limit: 5, offset: 0 })).logs;
      expect(row).toMatchObject({ decky: 'decky-01', msg: 'after the fuzz', fields: { n: 'good' } });
      expect(listener.connections).toBe(streams.length + 1);
      expect(listener.framingErrors).toBeGreaterThan(0); // the streams reached the error paths, not only clean frames
    } finally {
      await listener.close();
    }
  });
});
