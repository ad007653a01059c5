/**
 * The `ttp` worker against a real database (ttp.md §6.3, §7, §13 "Storage and worker"):
 * the same cases on SQLite and PostgreSQL.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { FakeClock, type BusEvent } from '../../../src/bus/index.js';
import { journalAndPublish, type NewLogRow, type NewTtpTag } from '../../../src/db/index.js';
import { writeBatch, TTP_WORKER } from '../../../src/ttp/worker/index.js';
import { describeWithDatabase, type HarnessResult } from '../../conformance/db/harness.js';
import { logRow as storedLogRow, sessionEnded, specId } from '../source-fixtures.js';
import { stateCases } from './cases-state.js';
import { example, failedLogin, until, workerHarness, type WorkerHarness } from './support.js';

const COWRIE_IP = '198.51.100.23';
/** What the Cowrie example shows of 198.51.100.23 (CORRECTIONS #7.9), without the reuse one (that needs OpenCanary too). */
const COWRIE_TECHNIQUES = ['T1003.008', 'T1053.003', 'T1078', 'T1078.001', 'T1082', 'T1105', 'T1110', 'T1110.001'];

const tagged = (events: readonly BusEvent[]): BusEvent[] => events.filter((e) => e.topic === 'ttp.tagged');
const techniquesOf = async (h: WorkerHarness, ip: string): Promise<string[]> => [...new Set((await h.db.repos.ttpTags.techniques({ attacker_ip: ip })).map((t) => t.sub_technique_id ?? t.technique_id))].sort();

export function workerCases(name: string, result: HarnessResult): void {
  describeWithDatabase(`ttp worker: ${name}`, result, (harness) => {
    let h: WorkerHarness | undefined;
    afterEach(async () => {
      vi.restoreAllMocks();
      await h?.close();
      h = undefined;
    });
    const fresh = async (): Promise<WorkerHarness> => (h = await workerHarness(await harness.fresh()));

    it('tags the Cowrie example with the techniques its activity shows, each command once, linked to its session and attacker', async () => {
      const w = await fresh();
      await w.ingest(example('cowrie.json'), 'cowrie');
      await w.correlate();
      const counters = await w.runOnce();
      expect(await techniquesOf(w, COWRIE_IP)).toEqual(COWRIE_TECHNIQUES);
      const { tags, total } = await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 500, offset: 0 });
      expect(counters.tags_written).toBe(total);
      const attacker = await w.db.repos.attackers.findByIp(COWRIE_IP);
      expect(attacker).toBeDefined();
      for (const t of tags) expect([t.attacker_ip, t.attacker_uuid]).toEqual([COWRIE_IP, attacker?.id]);
      // a command is tagged once although it came as a log row and inside attacker.session.ended
      const commandTags = tags.filter((t) => t.input_kind === 'command');
      expect(new Set(commandTags.map((t) => `${t.rule_id}|${t.input_id}`)).size).toBe(commandTags.length);
      expect(commandTags.every((t) => t.session_id === 'a1b2c3d4e5f6')).toBe(true);
      // ttp.tagged names each new tag exactly once, and only new ones
      const named = tagged(w.events).flatMap((e) => (e.payload as { tag_uuids: string[] }).tag_uuids);
      expect(named.sort()).toEqual(tags.map((t) => t.id).sort());
      const fired = w.events.filter((e) => e.topic.startsWith('ttp.rule.fired.')).map((e) => e.topic.slice('ttp.rule.fired.'.length));
      expect(fired.every((t) => !t.includes('.'))).toBe(true);
      expect(new Set(fired)).toEqual(new Set(tags.map((t) => t.technique_id)));
      // and every ttp.* event is journaled under the id it was published with
      const journal = await w.db.repos.journal.readAfter(0, { patterns: ['ttp.tagged', 'ttp.rule.fired.*'], limit: 1000 });
      expect(journal.map((j) => j.id).sort()).toEqual(w.events.filter((e) => e.topic === 'ttp.tagged' || e.topic.startsWith('ttp.rule.fired.')).map((e) => e.id).sort());
    });

    it('replaying every input writes and publishes nothing (the loop-prevention invariant)', async () => {
      const w = await fresh();
      await w.ingest(example('cowrie.json'), 'cowrie');
      await w.ingest(example('rfc5424.log'), 'rfc5424');
      await w.runOnce();
      const before = await w.db.repos.ttpTags.list({}, { limit: 1, offset: 0 });
      expect(before.total).toBeGreaterThan(0);
      const published = tagged(w.events).length;
      await w.db.write(async (tx) => {
        await w.db.repos.cursors.set(tx, TTP_WORKER, 'logs', 0);
        await w.db.repos.cursors.set(tx, TTP_WORKER, 'events', 0);
      });
      const counters = await w.runOnce();
      expect(counters.tags_written).toBe(0);
      expect(tagged(w.events)).toHaveLength(published);
      expect((await w.db.repos.ttpTags.list({}, { limit: 1, offset: 0 })).total).toBe(before.total);
    });

    it('a failure inside the batch transaction leaves no tag, cursor move or journal row', async () => {
      const w = await fresh();
      const good: NewTtpTag = { id: '8657bbf0-ea92-5135-bee5-9f8913b25271', rule_id: 'R0014', rule_version: 1, rule_source: 'builtin', technique_id: 'T1003', sub_technique_id: 'T1003.008', tactic_id: 'TA0006', confidence: 0.95, input_kind: 'command', input_id: 'command:ae968e9a7058b4a53b8a75243a1bd609', group_key: [], attacker_ip: COWRIE_IP, attacker_uuid: null, identity_uuid: null, session_id: null, decky: 'decky-01', service: 'ssh', evidence: { matched: ['shadow'] }, attack_version: '18.1', observed_at: '2026-05-01T12:00:00.000000Z' };
      const bad: NewTtpTag = { ...good, id: '4df8a6fa-87e9-5410-ac25-9d242fff41d3', confidence: 2 };
      const journalBefore = await w.db.repos.journal.head();
      await expect(writeBatch(w.db, null, { tags: [good, bad], cursor: { name: 'logs', position: 42 } })).rejects.toThrow();
      expect(await w.db.repos.ttpTags.get(good.id)).toBeUndefined();
      expect(await w.db.repos.cursors.get(TTP_WORKER, 'logs')).toBeUndefined();
      expect(await w.db.repos.journal.head()).toBe(journalBefore);
      // the same batch without the bad tag lands whole
      const r = await writeBatch(w.db, null, { tags: [good], cursor: { name: 'logs', position: 42 } });
      expect(r.newTags.map((t) => t.id)).toEqual([good.id]);
      expect(await w.db.repos.cursors.get(TTP_WORKER, 'logs')).toBe(42);
      expect((await w.db.repos.journal.readAfter(journalBefore, { limit: 10 })).map((j) => j.topic)).toEqual(['ttp.tagged', 'ttp.rule.fired.T1003']);
    });

    it('warm-up completes an aggregate across a restart: four failures before, one after → one T1110', async () => {
      const w = await fresh();
      await w.db.write((tx) => w.db.repos.logs.insertMany(tx, [0, 30, 60, 90].map((s) => failedLogin(s))), { locks: ['logs'] });
      await w.runOnce();
      expect((await w.db.repos.ttpTags.list({ rule_id: 'R0001' }, { limit: 10, offset: 0 })).total).toBe(0);
      await w.db.write((tx) => w.db.repos.logs.insertMany(tx, [failedLogin(120)]), { locks: ['logs'] });
      await w.runOnce();
      const { tags } = await w.db.repos.ttpTags.list({ rule_id: 'R0001' }, { limit: 10, offset: 0 });
      expect(tags.map((t) => [t.technique_id, t.attacker_ip, t.group_key])).toEqual([['T1110', '192.0.2.77', ['192.0.2.77']]]);
    });

    it('links tags written before their attacker existed, on attacker.observed', async () => {
      const w = await fresh();
      await w.ingest(example('cowrie.json'), 'cowrie');
      const run = w.start();
      await run.caughtUp();
      const unlinked = await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 500, offset: 0 });
      expect(unlinked.total).toBeGreaterThan(0);
      expect(unlinked.tags.every((t) => t.attacker_uuid === null)).toBe(true);
      await w.correlate(); // creates the attacker and publishes attacker.observed on the shared hub
      const uuid = (await w.db.repos.attackers.findByIp(COWRIE_IP))?.id;
      expect(uuid).toBeDefined();
      await until(async () => (await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 500, offset: 0 })).tags.every((t) => t.attacker_uuid === uuid), 'the tags to be linked');
      const counters = await run.stop();
      expect(counters.linked).toBe(unlinked.total);
    });

    it('subscribes to exactly the nine data patterns of §1.4 plus system.log', async () => {
      const w = await fresh();
      const run = w.start();
      await run.caughtUp();
      // system.ttp.control is the process's (src/cli/worker-command.ts), not runTtp's
      expect([...run.bus.subscribed].sort()).toEqual(['attacker.fingerprinted', 'attacker.intel.enriched', 'attacker.observed', 'attacker.session.ended', 'canary.>', 'credential.reuse.detected', 'email.received', 'identity.formed', 'identity.merged', 'system.log']);
      await run.stop();
    });

    it('the 60 s sweep links tags of an address whose attacker appeared without an attacker.observed reaching the worker', async () => {
      const w = await fresh();
      await w.ingest(example('cowrie.json'), 'cowrie');
      const clock = new FakeClock();
      const run = w.start({}, { clock });
      await run.caughtUp();
      const unlinked = await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 500, offset: 0 });
      expect(unlinked.total).toBeGreaterThan(0);
      expect(unlinked.tags.every((t) => t.attacker_uuid === null)).toBe(true);
      await w.correlate({ announce: false });
      const uuid = (await w.db.repos.attackers.findByIp(COWRIE_IP))?.id;
      expect(uuid).toBeDefined();
      expect(w.events.filter((e) => e.topic === 'attacker.observed')).toEqual([]);
      await run.caughtUp();
      expect((await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 500, offset: 0 })).tags.every((t) => t.attacker_uuid === null)).toBe(true);
      clock.advance(60_000);
      await until(async () => (await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 500, offset: 0 })).tags.every((t) => t.attacker_uuid === uuid), 'the sweep to link the tags');
      const counters = await run.stop();
      expect(counters.linked).toBe(unlinked.total);
      // linking writes no tag and publishes nothing
      expect(counters.tags_written).toBe(unlinked.total);
      expect(tagged(w.events).flatMap((e) => (e.payload as { tag_uuids: string[] }).tag_uuids)).toHaveLength(unlinked.total);
    });

    it('a session event read before its log rows: the command tags carry the session id and the rows are duplicates', async () => {
      const w = await fresh();
      const session = sessionEnded(); // `uname -a` and `cat /etc/shadow` from 198.51.100.23 on decky-01
      await w.db.write((tx) => journalAndPublish(tx, null, 'attacker.session.ended', session as never));
      const run = w.start();
      await run.caughtUp();
      const first = await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 100, offset: 0 });
      const commandTags = first.tags.filter((t) => t.input_kind === 'command');
      expect(commandTags.map((t) => t.rule_id).sort()).toEqual(['R0014', 'R0018']);
      expect(commandTags.every((t) => t.session_id === 'a1b2c3d4e5f6')).toBe(true);
      // the golden ids of §4.6: the log row below has the same input, so the same tag
      const shadow = commandTags.find((t) => t.rule_id === 'R0014');
      expect([shadow?.id, shadow?.input_id]).toEqual(['8657bbf0-ea92-5135-bee5-9f8913b25271', specId('command', COWRIE_IP, 'decky-01', 'ssh', '2026-05-01T12:00:00.000000Z', 'cat /etc/shadow')]);
      const published = tagged(w.events).length;
      expect(published).toBeGreaterThan(0);
      const row = (over: Parameters<typeof storedLogRow>[0]): NewLogRow => {
        const { id: _id, ...rest } = storedLogRow(over);
        return rest;
      };
      const commands = session.commands as { command_text: string; ts: string }[];
      await w.insertLogs(commands.map((c) => row({ timestamp: c.ts, receivedAt: c.ts, msg: `CMD: ${c.command_text}`, fields: { command: c.command_text, session: 'a1b2c3d4e5f6' } })));
      const duplicatesBefore = run.counters.duplicates;
      await run.caughtUp();
      const counters = await run.stop();
      expect(counters.duplicates - duplicatesBefore).toBe(commands.length);
      const after = await w.db.repos.ttpTags.list({ attacker_ip: COWRIE_IP }, { limit: 100, offset: 0 });
      expect(after.tags.map((t) => [t.id, t.session_id]).sort()).toEqual(first.tags.map((t) => [t.id, t.session_id]).sort());
      expect(tagged(w.events)).toHaveLength(published);
    });

    stateCases(fresh);
  });
}
