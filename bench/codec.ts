/**
 * bench:codec — the wire codec's hot paths, on one core, for 128 B and 1 KiB payloads
 * (`payload_bytes` is the JSON payload object, as in bench:bus; the envelope adds about
 * 120 bytes of id, topic, type and ts, reported as `envelope_bytes`):
 *
 * - `encode`: one `EVT` frame per event (`encodeEvt`), as the broker writes it;
 * - `decode`: a stream of many EVT frames cut into 64 KiB chunks through `FrameDecoder`;
 * - `scan`: `scanPubBody` of a PUB body `{"type":…,"payload":…}`;
 * - `scan+mint`: scan, then the whole EVT frame minted around the body's bytes
 *   (`mintEvtFrame`), the broker's per-PUB work;
 * - `parse+stringify`: the baseline that `scan+mint` replaces (JSON.parse of the body,
 *   `serializeEnvelope`, `encodeEvt`).
 *
 * Progress goes to stderr; the last stdout line is one JSON object.
 */
import { encodeEvt, encodeFrame, FrameDecoder, mintEvtFrame, scanPubBody, type PubBodyScan } from '../src/bus/codec/index.js';
import { serializeEnvelope, type Envelope } from '../src/bus/envelope.js';
import { progress, readFlags, report, round } from './harness.js';

const flags = readFlags();
const BUDGET_MS = flags.quick ? 400 : 2000; // per op and size
const WARMUP_MS = flags.quick ? 100 : 300;
const SIZES = [128, 1024];
const CHUNK = 64 * 1024;
const TOPIC = 'attacker.session.ended';
const ID = '0123456789abcdef0123456789abcdef';

/** An envelope whose flat payload object serialises to exactly `size` bytes. */
function envelopeOf(size: number): Envelope {
  const payload = { attacker_ip: '203.0.113.7', decky: 'd-01', n: 42, note: '' };
  const pad = size - JSON.stringify(payload).length;
  if (pad < 0) throw new Error(`payload base is over ${size} bytes`);
  return { v: 1, id: ID, topic: TOPIC, type: 'session.ended', ts: 1712345678.123456, payload: { ...payload, note: 'x'.repeat(pad) } };
}

let sink = 0; // keeps results observable so no work is optimised away

/** Runs `op` in batches until the budget is spent; returns ops per second. */
function measure(op: () => void, batch: number): number {
  const w = performance.now();
  while (performance.now() - w < WARMUP_MS) for (let i = 0; i < batch; i++) op();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < BUDGET_MS) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

interface Row {
  op: string;
  payload_bytes: number;
  envelope_bytes: number;
  frame_bytes: number;
  frames_per_s: number;
  mb_per_s: number;
}

const results: Row[] = [];
let envelopeBytes = 0;
function record(op: string, size: number, frameBytes: number, perS: number, bytesPerOp: number): void {
  const row = { op, payload_bytes: size, envelope_bytes: envelopeBytes, frame_bytes: frameBytes, frames_per_s: Math.round(perS), mb_per_s: round((perS * bytesPerOp) / 1e6, 1) };
  results.push(row);
  progress(`${op.padEnd(16)} ${String(size).padStart(5)} B  ${row.frames_per_s.toLocaleString('en-US').padStart(11)} frames/s  ${String(row.mb_per_s).padStart(7)} MB/s`);
}

for (const size of SIZES) {
  const env = envelopeOf(size);
  const envBytes = Buffer.from(serializeEnvelope(env));
  envelopeBytes = envBytes.length;
  const frame = encodeEvt(TOPIC, envBytes);
  const frameBytes = frame.length;

  // encode
  record('encode', size, frameBytes, measure(() => (sink += encodeEvt(TOPIC, envBytes).length), 1000), frameBytes);

  // decode: ~4 MiB of frames in 64 KiB chunks, frames straddling chunk edges included
  const count = Math.ceil((4 << 20) / frameBytes);
  const stream = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks: Buffer[] = [];
  for (let o = 0; o < stream.length; o += CHUNK) chunks.push(stream.subarray(o, o + CHUNK));
  let decoded = 0;
  const decodeStream = (): void => {
    const d = new FrameDecoder((f) => {
      decoded++;
      sink += f.body.length;
    });
    for (const c of chunks) d.push(c);
    d.end();
  };
  decodeStream();
  if (decoded !== count) throw new Error(`decoded ${decoded} of ${count} frames`);
  const streamsPerS = measure(decodeStream, 1);
  record('decode', size, frameBytes, streamsPerS * count, frameBytes);

  // PUB body as a client sends it
  const pub = Buffer.from(JSON.stringify({ type: env.type, payload: env.payload }));
  const pubScan = scanPubBody(pub);
  if (!pubScan.ok || pubScan.payload === undefined) throw new Error('bench body does not scan');
  const accepted = pubScan;
  // a fresh ts per event, as the broker's clock gives: V8 caches the text of a repeated number
  let ts = 1712345678.654321;
  record(
    'scan',
    size,
    frameBytes,
    measure(() => {
      const s: PubBodyScan = scanPubBody(pub);
      if (s.ok) sink++;
    }, 1000),
    pub.length,
  );
  record(
    'scan+mint',
    size,
    frameBytes,
    measure(() => {
      const s = scanPubBody(pub);
      ts += 0.000001;
      sink += s.ok ? mintEvtFrame(TOPIC, ID, ts, pub, s).frame.length : 0;
    }, 1000),
    pub.length,
  );
  record(
    'parse+stringify',
    size,
    frameBytes,
    measure(() => {
      const o = JSON.parse(pub.toString('utf8')) as { type: string; payload: Record<string, unknown> };
      ts += 0.000001;
      sink += encodeFrame('EVT', TOPIC, serializeEnvelope({ v: 1, id: ID, topic: TOPIC, type: o.type, ts, payload: o.payload })).length;
    }, 1000),
    pub.length,
  );
  sink += accepted.payload?.end ?? 0;
}

progress(`(sink ${sink % 10})`);
report('codec', results, { quick: flags.quick, chunk_bytes: CHUNK, note: 'mb_per_s counts frame bytes for encode/decode, PUB body bytes for scan rows' });
