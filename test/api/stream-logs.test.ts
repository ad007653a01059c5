/** The SSE log feed (eventplane.md §3.2, CORRECTIONS #7.7): `logs=1`, filters, cursor `<seq>:<log id>`, resume. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '../../src/bus/index.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { ingest } from '../correlate/support.js';
import { openStream, type SseClient } from './stream-client.js';

let t: TestApi;
let token: string;
const open: SseClient[] = [];

beforeEach(async () => {
  t = await startTestApi();
  await t.user('viewer1', 'viewer');
  token = await t.login('viewer1');
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await t.close();
});

async function stream(query: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const c = await openStream(t, query, { token, headers });
  open.push(c);
  return c;
}

/** Stores rows as ingest does, then announces the batch. */
async function batch(lines: Parameters<typeof ingest>[1]): Promise<number[]> {
  const ids = await ingest(t.db, lines);
  await t.bus.publish(topics.system(topics.SYSTEM_LOG), { kind: 'batch_committed', component: 'ingest', source: 'file:/test.log', flushed: ids.length, first_log_id: ids[0] ?? 0, last_log_id: ids.at(-1) ?? 0 });
  return ids;
}

type Rows = Array<{ id: number; decky: string; attacker_ip: string; event_type: string }>;
const rowsOf = (c: SseClient): Rows => c.events('logs').flatMap((f) => (JSON.parse(f.data ?? '{}') as { rows: Rows }).rows);

describe('GET /api/v1/stream?logs=1', () => {
  it('starts at the head and sends the rows of each batch as event: logs, with id <journal seq>:<log id>', async () => {
    await ingest(t.db, [{ s: 0 }]); // before the stream: not sent
    const c = await stream('logs=1');
    const ids = await batch([{ s: 1 }, { s: 2, decky: 'decky-02' }]);
    await c.waitFor((x) => rowsOf(x).length === 2, 'two log rows');
    const [f] = c.events('logs');
    expect(f?.id).toBe(`0:${ids[1] as number}`);
    expect(rowsOf(c).map((r) => [r.id, r.decky, r.attacker_ip])).toEqual([
      [ids[0], 'decky-01', '198.51.100.23'],
      [ids[1], 'decky-02', '198.51.100.23'],
    ]);
  });

  it('applies the exact filters', async () => {
    const c = await stream('logs=1&decky=decky-02&attacker_ip=203.0.113.7');
    await batch([{ s: 1, decky: 'decky-02' }, { s: 2, decky: 'decky-02', ip: '203.0.113.7' }, { s: 3, ip: '203.0.113.7' }]);
    await batch([{ s: 4, decky: 'decky-02', ip: '203.0.113.7', type: 'request' }]);
    await c.waitFor((x) => rowsOf(x).length === 2, 'the two matching rows');
    expect(rowsOf(c).map((r) => r.event_type)).toEqual(['connect', 'request']);
  });

  it('resumes after Last-Event-ID: rows stored while away arrive once; journal frames keep the log part', async () => {
    const c = await stream('logs=1&topics=credential.>');
    const first = await batch([{ s: 1 }]);
    await c.waitFor((x) => rowsOf(x).length === 1, 'the first row');
    const last = c.frames.filter((f) => f.id !== undefined).at(-1)?.id as string;
    expect(last).toBe(`0:${first[0] as number}`);
    c.close();
    const away = await ingest(t.db, [{ s: 2 }, { s: 3 }]);
    const again = await stream('logs=1&topics=credential.>', { 'last-event-id': last });
    await again.waitFor((x) => rowsOf(x).length === 2, 'the rows stored while away');
    expect(rowsOf(again).map((r) => r.id)).toEqual(away);
    // a journaled event: its shared frame says <seq>:0, and an id block restates the log part
    await t.db.write(async (tx) => {
      const { journalAndPublish } = await import('../../src/db/index.js');
      await journalAndPublish(tx, t.bus, topics.credential('captured'), { secret_sha256: 'ab'.repeat(32), secret_kind: 'plaintext', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' });
    });
    await again.waitFor((x) => x.events('credential.captured').length === 1, 'the journaled event');
    await again.waitFor((x) => x.frames.at(-1)?.id === `1:${away[1] as number}`, 'the cursor with both parts');
  });

  it('a cursor more than 1,000 rows behind jumps to the head with a too_far_behind gap', async () => {
    await ingest(t.db, Array.from({ length: 1002 }, (_, i) => ({ s: i / 1000 })));
    const c = await stream('logs=1', { 'last-event-id': '0:1' });
    await c.waitFor((x) => x.events('gap').length === 1, 'the gap');
    expect(JSON.parse(c.events('gap')[0]?.data ?? '{}')).toMatchObject({ dropped: null, reason: 'too_far_behind' });
    expect(rowsOf(c)).toEqual([]);
  });
});
