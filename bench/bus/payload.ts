/**
 * The events the bench sends: a flat JSON payload whose serialised size is about
 * `payload_bytes` (128 or 1024), carrying what the subscriber needs to measure:
 *
 *   {"p":<publisher index>,"s":<sequence in the phase>,"ph":<phase>,"t":<publish time, ms>,"pad":"xxx…"}
 *
 * (`t` is on the monotonic clock of clock.ts, shared by every process of the machine.)
 *
 * Bodies are built with template strings, the same way for every raw harness, so the
 * unix and NATS raw publishers do identical work per event.
 */

/** The topic family of the throughput scenarios (outside the catalogue: any object passes). */
export const TOPIC_ROOT = 'bench.bus';
/** `type` of every bench event. */
export const BENCH_TYPE = 'bench';
/** The fixed envelope id of NATS raw bodies (the raw harness mints nothing; it only needs the bytes). */
export const RAW_ID = '0123456789abcdef0123456789abcdef';

export interface BenchPayload {
  readonly p: number;
  readonly s: number;
  readonly ph: number;
  readonly t: number;
  readonly pad: string;
}

/** A representative stamp, to size the padding (`nowMs()` a few hours after boot). */
const SAMPLE_T = 12345678.123456;
/** A representative envelope `ts` (epoch seconds). */
const SAMPLE_TS = 1764625843.297123;
const SAMPLE_S = 100_000;

/** The padding that brings a typical payload to `payloadBytes` bytes of JSON. */
export function padFor(payloadBytes: number): string {
  const base = payloadJson(0, SAMPLE_S, 1, SAMPLE_T, '').length;
  if (base > payloadBytes) throw new RangeError(`payload_bytes ${payloadBytes} is below the ${base} bytes of the bench fields`);
  return 'x'.repeat(payloadBytes - base);
}

export function payloadJson(p: number, s: number, ph: number, t: number, pad: string): string {
  return `{"p":${p},"s":${s},"ph":${ph},"t":${t},"pad":"${pad}"}`;
}

/** A PUB body for the unix broker, which mints the envelope around `type` and `payload`. */
export function pubBody(payload: string): string {
  return `{"type":"${BENCH_TYPE}","payload":${payload}}`;
}

/** A whole envelope (bus.md §1 key order), what NATS carries and what the broker delivers. */
export function envelopeBody(topic: string, tsSeconds: number, payload: string): string {
  return `{"v":1,"id":"${RAW_ID}","topic":"${topic}","type":"${BENCH_TYPE}","ts":${tsSeconds},"payload":${payload}}`;
}

/** Size of a delivered envelope for this payload size (bytes), as reported in rows. */
export function envelopeBytes(topic: string, payloadBytes: number): number {
  return Buffer.byteLength(envelopeBody(topic, SAMPLE_TS, payloadJson(0, SAMPLE_S, 1, SAMPLE_T, padFor(payloadBytes))));
}

/** The bench fields of a received payload, or undefined when it is not one of ours. */
export function readPayload(v: unknown): BenchPayload | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Partial<Record<keyof BenchPayload, unknown>>;
  if (typeof o.p !== 'number' || typeof o.s !== 'number' || typeof o.ph !== 'number' || typeof o.t !== 'number') return undefined;
  return o as BenchPayload;
}
