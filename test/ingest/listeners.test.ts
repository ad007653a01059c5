/**
 * Syslog over real sockets (eventplane.md §8.3): UDP (RFC 5426) and TCP with octet
 * counting and LF framing (RFC 6587) reach the same rows; a framing error closes only its
 * connection; a flood is bounded (UDP drops counted, TCP pushes back and loses nothing).
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/bus/index.js';
import { FrameDecoder, TcpListener, UdpListener, type IngestExtension, type SourceBatcher } from '../../src/ingest/index.js';
import { until } from '../support/events.js';
import { harness, type Harness } from './support.js';

let h: Harness | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await h?.close();
  h = undefined;
});

const LINE = (n: number): string => `<134>1 2026-05-01T12:00:00.${String(n).padStart(6, '0')}Z decky-01 ssh - probe [relay@55555 src_ip="192.0.2.7" n="${n}"] m${n}`;

async function batcher(kind: 'udp' | 'tcp', extra: { extensions?: readonly IngestExtension[]; maxQueued?: number } = {}, batchSize = 100): Promise<SourceBatcher> {
  if (!h) throw new Error('no harness');
  return h.pipeline({ batchSize, batchMaxWaitMs: 10 }, extra).openSource({ id: `${kind}:127.0.0.1:0`, kind, format: 'auto', path: '127.0.0.1:0', rowSource: `${kind}:127.0.0.1:0` });
}

async function udp(b: SourceBatcher): Promise<number> {
  const l = new UdpListener({ batcher: b, host: '127.0.0.1', port: 0, maxLine: 65_536, log: silentLogger, clock: systemClock });
  const { port } = await l.start();
  closers.push(() => l.close());
  return port;
}

async function tcp(b: SourceBatcher): Promise<{ port: number; listener: TcpListener }> {
  const listener = new TcpListener({ batcher: b, host: '127.0.0.1', port: 0, maxLine: 65_536, log: silentLogger, clock: systemClock });
  const { port } = await listener.start();
  closers.push(() => listener.close());
  return { port, listener };
}

function send(port: number, messages: Array<string | Buffer>): Promise<void> {
  const s = createSocket('udp4');
  return (async () => {
    for (const m of messages) await new Promise<void>((resolve, reject) => s.send(m, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    s.close();
  })();
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const octet = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;

async function rows(): Promise<Array<{ n: string | undefined; msg: string | null; source: string }>> {
  return (await h!.db.repos.logs.readAfter(0, 100_000)).map((r) => ({ n: r.fields.n, msg: r.msg, source: r.source }));
}

describe('UDP', () => {
  it('one message per datagram, trailing LF and NUL stripped, source udp:<peer>', async () => {
    h = await harness();
    const b = await batcher('udp');
    const port = await udp(b);
    await send(port, [LINE(1), `${LINE(2)}\n`, `${LINE(3)}\n\0`]);
    await until(async () => (await rows()).length === 3, 'three rows');
    expect(await rows()).toEqual([1, 2, 3].map((n) => ({ n: String(n), msg: `m${n}`, source: 'udp:127.0.0.1' })));
  });

  it('drops and counts datagrams while the queue is full', async () => {
    h = await harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: IngestExtension = { name: 'slow', onBatch: () => gate.then(() => 0) };
    const b = await batcher('udp', { extensions: [slow], maxQueued: 5 }, 2);
    const port = await udp(b);
    await send(port, Array.from({ length: 40 }, (_, i) => LINE(i)));
    await until(() => b.stats.dropped > 0, 'drops');
    expect(b.queued).toBeLessThanOrEqual(5);
    release();
    await until(async () => (await rows()).length + b.stats.dropped === 40, 'every datagram stored or dropped');
    await b.flush();
    expect((await h.db.repos.ingestSources.get(b.id))?.dropped).toBe(b.stats.dropped);
  });
});

describe('TCP', () => {
  it('octet counting and LF framing on one connection reach the same rows as UDP', async () => {
    h = await harness();
    const b = await batcher('tcp');
    const { port } = await tcp(b);
    const s = await open(port);
    s.write(octet(LINE(1)) + `${LINE(2)}\n` + octet(`${LINE(3)}\n`));
    s.write(`${LINE(4)}\r\n${octet(LINE(5)).slice(0, 20)}`);
    s.write(`${octet(LINE(5)).slice(20)}\n${LINE(6)}`);
    s.end();
    await until(async () => (await rows()).length === 6, 'six rows');
    expect(await rows()).toEqual([1, 2, 3, 4, 5, 6].map((n) => ({ n: String(n), msg: `m${n}`, source: 'tcp:127.0.0.1' })));
  });

  it('a framing error records an unparsed row and closes that connection only', async () => {
    h = await harness();
    const b = await batcher('tcp');
    const { port, listener } = await tcp(b);
    const bad = await open(port);
    const good = await open(port);
    const closed = new Promise<void>((r) => bad.once('close', () => r()));
    bad.on('error', () => undefined);
    bad.write('hello there\n');
    await closed;
    good.write(`${LINE(1)}\n`);
    good.end();
    await until(async () => (await rows()).length === 1, 'the good row');
    const [u] = await h.db.repos.logs.listUnparsed({ limit: 5 });
    expect(u).toMatchObject({ reason: 'bad_frame', raw: 'hello there\n', source: 'tcp:127.0.0.1' });
    expect(listener.framingErrors).toBe(1);
  });

  it('pushes back while the queue is full and loses nothing', async () => {
    h = await harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: IngestExtension = { name: 'slow', onBatch: () => gate.then(() => 0) };
    const b = await batcher('tcp', { extensions: [slow], maxQueued: 50 }, 10);
    const { port } = await tcp(b);
    const s = await open(port);
    const total = 3000;
    s.write(Array.from({ length: total }, (_, i) => octet(LINE(i))).join(''));
    s.end();
    await until(() => b.saturated, 'a full queue');
    release();
    await until(async () => (await rows()).length === total, 'every line', 20_000);
    expect(b.stats.dropped).toBe(0);
    expect(new Set((await rows()).map((r) => r.n)).size).toBe(total);
  });
});

describe('FrameDecoder', () => {
  const lines = (d: FrameDecoder, chunks: string[]): string[] => chunks.flatMap((c) => d.push(Buffer.from(c))).map((f) => (f.kind === 'line' ? f.line.bytes.toString() : `!${f.reason}`));

  it('decides the framing per frame and keeps state across chunks', () => {
    const d = new FrameDecoder(1000);
    expect(lines(d, ['5 hel', 'lo<1>x\n', '\n', '3 abc', '<2>y'])).toEqual(['hello', '<1>x', 'abc']);
    expect(d.end().map((f) => (f.kind === 'line' ? f.line.bytes.toString() : f.reason))).toEqual(['<2>y']);
  });

  it('refuses a leading zero, an over-long length, and anything but a digit or <', () => {
    expect(lines(new FrameDecoder(1000), ['05 hello'])).toEqual(['!bad_frame']);
    expect(lines(new FrameDecoder(1000), ['1001 x'])).toEqual(['!bad_frame_length']);
    expect(lines(new FrameDecoder(1000), ['12x'])).toEqual(['!bad_frame_length']);
    expect(lines(new FrameDecoder(1000), ['{"json": 1}'])).toEqual(['!bad_frame']);
    const cut = new FrameDecoder(1000);
    lines(cut, ['10 abc']);
    expect(cut.end()[0]).toMatchObject({ kind: 'error', reason: 'truncated_frame' });
  });
});
