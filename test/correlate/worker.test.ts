/** The worker loop (analysis.md §0.1): a pass at start, then one per wake; never on its own events. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, MemoryBus, MemoryHub, silentLogger, topics } from '../../src/bus/index.js';
import { CORRELATE_WAKE_PATTERNS, emptyCounters, runCorrelate } from '../../src/correlate/index.js';
import { openDatabase, type Db } from '../../src/db/index.js';
import { until } from '../support/events.js';
import { ingest, Recorder, settings, T0 } from './support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function world(): Promise<{ db: Db; bus: MemoryBus; producer: MemoryBus; rec: Recorder; clock: FakeClock }> {
  const home = mkdtempSync(join(tmpdir(), 'dn-correlate-'));
  const clock = new FakeClock(T0);
  const db = await openDatabase({ home, clock, log: silentLogger });
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'correlate', hub, strict: true, clock });
  const producer = new MemoryBus({ name: 'ingest', hub, strict: true, clock });
  const rec = new Recorder(producer, 'attacker.>');
  cleanup.push(async () => {
    await rec.close();
    await bus.close();
    await producer.close();
    await db.close();
    rmSync(home, { recursive: true, force: true });
  });
  return { db, bus, producer, rec, clock };
}

describe('runCorrelate', () => {
  it('wakes on system.log (not only the poll), never on attacker.*, and updates its counters', async () => {
    expect(CORRELATE_WAKE_PATTERNS).toEqual(['system.log', 'credential.captured', 'canary.*.triggered']);
    const { db, bus, producer, rec, clock } = await world();
    await ingest(db, [{ s: 1 }]);
    const stop = new AbortController();
    const counters = emptyCounters();
    // an hour's poll: only the wake can explain the second fold
    const running = runCorrelate({ db, bus, settings: settings({ DECNET_CORRELATE_POLL_SECS: '3600' }), log: silentLogger, clock, signal: stop.signal, counters });
    await until(() => rec.of('attacker.observed').length === 1, 'the first fold');
    const ids = await ingest(db, [{ s: 2, ip: '203.0.113.7' }]);
    await producer.publish(topics.system(topics.SYSTEM_LOG), { kind: 'batch_committed', component: 'ingest', source: 'file:/x', flushed: 1, first_log_id: ids[0] ?? 0, last_log_id: ids[0] ?? 0 });
    await until(() => rec.of('attacker.observed').length === 2, 'the fold the wake started');
    expect(counters).toMatchObject({ attackers: 2, log_rows: 2, observed: 2, lag_rows: 0 });
    const passes = counters.passes;
    await producer.publish(topics.attacker('observed'), { attacker_uuid: '00000000-0000-0000-0000-000000000001', attacker_ip: '192.0.2.1', decky: 'd', service: 's', event_type: 'e', first_seen: '2026-05-01T12:00:00.000000Z' });
    await new Promise((r) => setTimeout(r, 50));
    expect(counters.passes).toBe(passes);
    stop.abort();
    await running;
  });

  it('with once: runs passes until nothing is pending, then returns its counters', async () => {
    const { db, bus, clock } = await world();
    await ingest(db, [{ s: 1 }, { s: 2, decky: 'decky-02' }], [{ s: 3, secret: 'toor' }, { s: 4, secret: 'toor', decky: 'decky-02' }]);
    const counters = await runCorrelate({ db, bus, settings: settings(), log: silentLogger, clock, signal: new AbortController().signal, once: true });
    expect(counters).toMatchObject({ attackers: 1, reuse_findings: 1, log_rows: 4, credential_rows: 2, lag_rows: 0, orphans: 0 });
  });
});
