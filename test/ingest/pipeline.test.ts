/**
 * The batch pipeline (eventplane.md §8.3, §8.6): batching by size and time, one
 * transaction per batch, exact `system.log` payloads (none for zero rows), journaled
 * events, nothing published before the commit, retries, and bad lines beside good ones.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger, type Bus, type PreparedEvent, type PublishOptions } from '../../src/bus/index.js';
import { IngestPipeline, IngestSchemaError, type IngestExtension } from '../../src/ingest/index.js';
import { harness, SETTINGS, topicsOf, type Harness } from './support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const spec = { id: 'file:/t.log', kind: 'file', format: 'rfc5424' as const, path: '/t.log', rowSource: 'file:/t.log' };
const line = (i: number, extra = ''): string => `<134>1 2026-05-01T12:00:${String(i % 60).padStart(2, '0')}.000000Z decky-01 ssh - probe [relay@55555 src_ip="192.0.2.${(i % 250) + 1}" n="${i}"${extra}]`;
const HUNTER2 = 'f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7';

describe('batching', () => {
  it('cuts batches at DECNET_BATCH_SIZE and publishes one exact system.log per batch', async () => {
    h = await harness();
    const b = await h.pipeline({ batchSize: 3 }).openSource(spec);
    for (let i = 0; i < 7; i++) await b.add({ text: line(i), endOffset: (i + 1) * 10 });
    await b.flush();
    await h.settle(3);
    expect(h.events.map((e) => e.payload)).toEqual([
      { kind: 'batch_committed', component: 'ingest', source: 'file:/t.log', flushed: 3, first_log_id: 1, last_log_id: 3 },
      { kind: 'batch_committed', component: 'ingest', source: 'file:/t.log', flushed: 3, first_log_id: 4, last_log_id: 6 },
      { kind: 'batch_committed', component: 'ingest', source: 'file:/t.log', flushed: 1, first_log_id: 7, last_log_id: 7 },
    ]);
    expect(h.events.every((e) => e.type === 'log')).toBe(true);
    expect(await h.db.repos.ingestSources.get('file:/t.log')).toMatchObject({ offset: 70, lines: 7, parsed: 7, unparsed: 0 });
  });

  it('cuts a batch DECNET_BATCH_MAX_WAIT_MS after its first line (injected clock)', async () => {
    const clock = new FakeClock(Date.UTC(2026, 4, 1, 13));
    h = await harness(clock);
    const b = await h.pipeline().openSource(spec);
    b.add({ text: line(1) });
    clock.advance(100);
    b.add({ text: line(2) });
    clock.advance(149);
    await new Promise((r) => setTimeout(r, 20));
    expect(await h.db.repos.logs.head()).toBe(0);
    clock.advance(1);
    await b.flush();
    expect(await h.db.repos.logs.head()).toBe(2);
    expect(b.stats.batches).toBe(1);
  });

  it('a batch without rows commits its position and counters but publishes nothing', async () => {
    h = await harness();
    const b = await h.pipeline().openSource(spec);
    await b.add({ text: 'garbage', endOffset: 8 });
    await b.add({ text: '<13>1 - h sshd - - - filtered', endOffset: 40 });
    await b.flush();
    await h.settle();
    expect(h.events).toEqual([]);
    expect(await h.db.repos.ingestSources.get('file:/t.log')).toMatchObject({ offset: 40, lines: 2, parsed: 0, unparsed: 1, filtered: 1 });
    expect(await h.db.repos.logs.listUnparsed({ limit: 10 })).toMatchObject([{ raw: 'garbage', reason: 'bad_pri', position: 0, source: 'file:/t.log' }]);
  });

  it('bad lines become unparsed rows and never cost the good lines of their batch', async () => {
    h = await harness();
    const b = await h.pipeline().openSource(spec);
    const corpus = ['', 'no pri', '<999>1 - - - - - -', '<13>2 - - - - - -', '<13>1 2026-02-30T00:00:00Z h a - m -', '<13>1 - h a - m [x k="v', '<13>1 - h a - m [a x="1"][a y="2"]', '<13>1 - h  a - m -', '\0\0\0'];
    for (const [i, text] of corpus.entries()) {
      await b.add({ text: line(i) });
      await b.add({ text });
    }
    await b.flush();
    const unparsed = await h.db.repos.logs.listUnparsed({ limit: 100 });
    expect(unparsed.map((u) => u.reason).reverse()).toEqual(['empty', 'bad_pri', 'bad_pri', 'bad_version', 'bad_timestamp', 'bad_sd', 'duplicate_sd_id', 'bad_header', 'bad_pri']);
    expect(await h.db.repos.logs.head()).toBe(corpus.length);
  });
});

describe('events', () => {
  it('credential.captured for hunter2 carries its SHA-256; invalid base64 publishes nothing', async () => {
    h = await harness();
    const b = await h.pipeline().openSource(spec);
    await b.add({ text: '<134>1 2026-05-01T12:00:00Z decky-05 ftp - login_attempt [relay@55555 src_ip="203.0.113.9" principal="admin" secret_b64="aHVudGVyMg==" secret_kind="plaintext"]' });
    await b.add({ text: '<134>1 2026-05-01T12:00:01Z decky-05 ftp - login_attempt [relay@55555 src_ip="203.0.113.9" principal="admin" secret_b64="***"]' });
    await b.flush();
    await h.settle(2);
    expect(topicsOf(h.events)).toEqual(['credential.captured', 'system.log:batch_committed']);
    expect(h.events[0]?.payload).toEqual({ secret_sha256: HUNTER2, secret_kind: 'plaintext', attacker_ip: '203.0.113.9', decky: 'decky-05', service: 'ftp' });
    const journal = await h.db.repos.journal.readAfter(0, { limit: 10 });
    expect(journal.map((j) => [j.topic, j.id])).toEqual([['credential.captured', h.events[0]?.id]]);
    expect(b.stats.credentialsDropped).toBe(1);
    const creds = await h.db.repos.credentials.readAfter(0, 10);
    expect(creds).toMatchObject([{ principal: 'admin', secretSha256: HUNTER2, count: 1, logId: 1, secretPrintable: null, secretB64: null }]);
  });

  it('a repeated credential bumps the count and widens first/last seen; each occurrence is published', async () => {
    h = await harness();
    const b = await h.pipeline().openSource(spec);
    for (const ts of ['12:00:05', '12:00:01', '12:00:09']) await b.add({ text: `<134>1 2026-05-01T${ts}Z decky-05 ftp - login_attempt [relay@55555 src_ip="203.0.113.9" principal="admin" secret_b64="aHVudGVyMg=="]` });
    await b.flush();
    await h.settle(4);
    expect(topicsOf(h.events).filter((t) => t === 'credential.captured')).toHaveLength(3);
    expect(await h.db.repos.credentials.readAfter(0, 10)).toMatchObject([{ seq: 1, count: 3, firstSeen: '2026-05-01T12:00:01.000000Z', lastSeen: '2026-05-01T12:00:09.000000Z', logId: 1 }]);
  });

  it('message_stored journals email.received with the row id; smtp_relay also gets smtp.probe.pending', async () => {
    h = await harness();
    const b = await h.pipeline().openSource(spec);
    await b.add({ text: '<134>1 2026-05-01T12:30:00Z decky-04 smtp_relay - message_stored [relay@55555 src_ip="203.0.113.20" subject="Hi" rcpt_count="1" rcpt_domains="example.com" stored_as="mail/1.eml" body_sha256="ab" mail_from="x@example.net" rcpt_to="y@example.com"]' });
    await b.flush();
    await h.settle(3);
    expect(topicsOf(h.events)).toEqual(['email.received', 'smtp.probe.pending', 'system.log:batch_committed']);
    expect(h.events[0]?.payload).toMatchObject({ source_id: 1, attacker_uuid: null, attacker_ip: '203.0.113.20', decky_id: 'decky-04', service: 'smtp_relay', subject: 'Hi', rcpt_domains: ['example.com'], stored_as: 'mail/1.eml' });
    expect(h.events[1]?.payload).toEqual({ decky: 'decky-04', attacker_ip: '203.0.113.20', stored_as: 'mail/1.eml', mail_from: 'x@example.net', rcpt_to: 'y@example.com' });
    expect((await h.db.repos.journal.readAfter(0, { limit: 5 })).map((j) => j.topic)).toEqual(['email.received']);
    expect(await h.db.repos.ingestExtracts.listArtifacts({ limit: 5 })).toMatchObject([{ kind: 'email', logId: 1, storedAs: 'mail/1.eml', sha256: 'ab' }]);
  });

  it('with DECNET_INGEST_PUBLISH_LINES, one system.log line event per stored row', async () => {
    h = await harness();
    const b = await h.pipeline({ publishLines: true }).openSource(spec);
    await b.add({ text: line(1) });
    await b.add({ text: '<13>1 - - a - m -' });
    await b.flush();
    await h.settle(3);
    expect(h.events.map((e) => e.payload)).toEqual([
      { kind: 'line', log_id: 1, decky: 'decky-01', service: 'ssh', event_type: 'probe', attacker_ip: '192.0.2.2', timestamp: '2026-05-01T12:00:01.000000Z' },
      { kind: 'line', log_id: 2, decky: '', service: 'a', event_type: 'm', attacker_ip: null, timestamp: expect.stringMatching(/Z$/) as unknown as string },
      { kind: 'batch_committed', component: 'ingest', source: 'file:/t.log', flushed: 2, first_log_id: 1, last_log_id: 2 },
    ]);
  });

  it('nothing is published before the commit: every event finds its rows committed', async () => {
    h = await harness();
    const { db } = h;
    // each publish reads the heads at once: inside the transaction that read would wait for the connection it holds
    const seen: Array<Promise<{ topic: string; logs: number; journal: number }>> = [];
    const record = (topic: string): void => {
      seen.push((async () => ({ topic, logs: await db.repos.logs.head(), journal: await db.repos.journal.head() }))());
    };
    const spy = {
      publish: async (topic: string, _payload: unknown, _opts?: PublishOptions) => record(topic),
      publishPrepared: (event: PreparedEvent) => record(event.topic),
    } as unknown as Bus;
    const p = new IngestPipeline({ db, bus: spy, clock: db.clock, log: silentLogger, settings: SETTINGS });
    const b = await p.openSource(spec);
    await b.add({ text: '<134>1 2026-05-01T12:00:00Z decky-05 ftp - login_attempt [relay@55555 src_ip="203.0.113.9" secret_b64="aHVudGVyMg=="]' });
    await b.add({ text: line(2) });
    await b.flush();
    expect(await Promise.all(seen)).toEqual([
      { topic: 'credential.captured', logs: 2, journal: 1 },
      { topic: 'system.log', logs: 2, journal: 1 },
    ]);
  });
});

describe('failures', () => {
  it('a failed batch is retried as a whole; rows and events happen once', async () => {
    h = await harness();
    let failures = 1;
    const flaky: IngestExtension = {
      name: 'flaky',
      onBatch() {
        if (failures-- > 0) return Promise.reject(new Error('database is locked'));
        return Promise.resolve(0);
      },
    };
    const b = await h.pipeline({}, { extensions: [flaky], retryMs: 5 }).openSource(spec);
    await b.add({ text: '<134>1 2026-05-01T12:00:00Z decky-05 ftp - login_attempt [relay@55555 src_ip="203.0.113.9" secret_b64="aHVudGVyMg=="]' });
    await b.flush();
    await h.settle(2);
    expect(b.stats).toMatchObject({ retries: 1, batches: 1, parsed: 1 });
    expect(await h.db.repos.logs.head()).toBe(1);
    expect(await h.db.repos.credentials.readAfter(0, 10)).toHaveLength(1);
    expect(topicsOf(h.events)).toEqual(['credential.captured', 'system.log:batch_committed']);
    expect(await h.db.repos.journal.readAfter(0, { limit: 10 })).toHaveLength(1);
  });

  it('a missing schema is fatal, with a message that says what to do', async () => {
    h = await harness();
    await sql`drop table logs`.execute(h.db.kysely);
    const b = await h.pipeline({}, { retryMs: 5 }).openSource(spec);
    b.add({ text: line(1) });
    await expect(b.flush()).rejects.toBeInstanceOf(IngestSchemaError);
    expect(() => b.add({ text: line(2) })).toThrow(IngestSchemaError);
  });
});
