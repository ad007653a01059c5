/**
 * The durable-topics stream: created at connect, idempotent, updated to the
 * configuration, a refusal only logged; the pattern helpers behind it. Each test owns
 * its stream and subject root and deletes them (CORRECTIONS #4.5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { NatsBus, type Logger } from '../../../src/bus/index.js';
import { consumerName, ensureStream, minimalCover } from '../../../src/bus/durable/index.js';
import { deleteStreams, NATS_URL, requireNats, rawClient, testStream, uniq } from '../../support/nats.js';

describe('durable pattern helpers', () => {
  it('keeps only patterns no other covers', () => {
    expect(minimalCover(['ttp.>', 'ttp.rule.>', 'credential.>', 'canary.*.triggered', 'canary.x.triggered', 'ttp.>'])).toEqual(['ttp.>', 'credential.>', 'canary.*.triggered']);
    expect(minimalCover(['a.*.c', 'a.b.*'])).toEqual(['a.*.c', 'a.b.*']);
  });

  it('derives a stable consumer name per (durable, pattern)', () => {
    expect(consumerName('webhook', 'ttp.>')).toBe(consumerName('webhook', 'ttp.>'));
    expect(consumerName('webhook', 'ttp.>')).not.toBe(consumerName('webhook', 'credential.>'));
    expect(consumerName('webhook', 'ttp.>')).toMatch(/^webhook_[0-9a-f]{12}$/);
  });
});

await requireNats();

/** A logger that records warnings. */
function recordingLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const write = (line: string): void => {
    const rec = JSON.parse(line) as { level: number; msg: string };
    if (rec.level >= 40) warnings.push(rec.msg);
  };
  return { log: pino({ level: 'info' }, { write }), warnings };
}

describe('durable-topics stream on the server', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  const buses: NatsBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    await deleteStreams(...streams.splice(0));
    await nc?.close();
  });
  const setup = async (): Promise<void> => {
    nc = await rawClient();
    jsm = await jetstreamManager(nc);
  };

  it('is created idempotently, then brought in line with the configuration', async () => {
    await setup();
    const root = uniq('st');
    const s = testStream(root);
    streams.push(s.name);
    const { log, warnings } = recordingLog();
    expect(await ensureStream(jsm, s, log)).toBe('created');
    expect(await ensureStream(jsm, s, log)).toBe('unchanged');
    const info = await jsm.streams.info(s.name);
    expect(info.config.subjects).toEqual([`${root}.>`]);
    expect(info.config.max_age).toBe(3_600_000 * 1e6);
    expect(info.config.max_bytes).toBe(64 * 1024 * 1024);
    const wider = { ...s, patterns: [`${root}.a.>`, `${root}.b.*`, `${root}.a.x`], maxAgeMs: 0, maxBytes: 0 };
    expect(await ensureStream(jsm, wider, log)).toBe('updated');
    const after = await jsm.streams.info(s.name);
    expect([...(after.config.subjects ?? [])].sort()).toEqual([`${root}.a.>`, `${root}.b.*`]);
    expect(after.config.max_age).toBe(0);
    expect(after.config.max_bytes).toBe(-1);
    expect(await ensureStream(jsm, wider, log)).toBe('unchanged');
    expect(warnings).toEqual([]);
  });

  it('only logs a refusal: another stream already owns the subjects', async () => {
    await setup();
    const root = uniq('clash');
    const first = testStream(root);
    const second = { ...testStream(root), name: `${first.name}_2` };
    streams.push(first.name, second.name);
    const { log, warnings } = recordingLog();
    expect(await ensureStream(jsm, first, log)).toBe('created');
    expect(await ensureStream(jsm, second, log)).toBe('refused');
    expect(warnings.some((w) => /refused to create or update/.test(w))).toBe(true);
    expect(await ensureStream(jsm, { ...first, patterns: [] }, log)).toBe('off');
  });

  it('is ensured by every NatsBus on connect, and events published on it are captured with their id', async () => {
    await setup();
    const root = uniq('cap');
    const s = testStream(root);
    streams.push(s.name);
    const a = new NatsBus({ name: 'a', servers: NATS_URL, stream: s });
    const b = new NatsBus({ name: 'b', servers: NATS_URL, stream: s });
    buses.push(a, b);
    await Promise.all([a.connect(), b.connect()]);
    const d = a.durable('probe', `${root}.>`); // resolves once the stream is there
    await d.ready;
    await d.close();
    const id = 'ef'.repeat(16);
    await a.publish(`${root}.x`, { n: 1 }, { id });
    await b.publish(`${root}.x`, { n: 1 }, { id }); // same id twice: JetStream keeps one
    await a.publish(`${root}.y`, { n: 2 });
    let info = await jsm.streams.info(s.name);
    for (let i = 0; i < 100 && info.state.messages < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      info = await jsm.streams.info(s.name);
    }
    expect(info.state.messages).toBe(2);
    const stored = await jsm.streams.getMessage(s.name, { seq: info.state.first_seq });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(id);
    expect(stored?.json<{ id: string }>().id).toBe(id);
  });
});
