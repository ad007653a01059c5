/** ATT&CK tagging's repositories (ttp.md §6, §1.6, §8): tags, their filters and aggregates, and the rule tables. */
import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { isoFromEpochMs } from '../../../src/bus/index.js';
import { LockOrderError, type Db, type NewTtpTag, type RuleCatalogRow, type RuleStateRow, type TagFilter } from '../../../src/db/index.js';
import { ISO6, type SuiteContext } from './suite.js';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const U3 = '33333333-3333-4333-8333-333333333333';
const I1 = '99999999-9999-4999-8999-999999999999';
const IP23 = '198.51.100.23';
const IP99 = '198.51.100.99';
const IP7 = '203.0.113.7';

/** `s` seconds into the test day, with a microsecond fraction that ends in zeros (PostgreSQL drops them). */
function at(s: number): string {
  return isoFromEpochMs(Date.UTC(2026, 4, 1, 12) + s * 1000 + 0.5);
}

function tag(extra: Partial<NewTtpTag> = {}): NewTtpTag {
  return {
    id: randomUUID(),
    rule_id: 'R0001',
    rule_version: 1,
    rule_source: 'builtin',
    technique_id: 'T1110',
    sub_technique_id: null,
    tactic_id: 'TA0006',
    confidence: 0.5,
    input_kind: 'auth_attempt',
    input_id: `auth_attempt:${randomUUID().replaceAll('-', '')}`,
    group_key: [],
    attacker_ip: IP23,
    attacker_uuid: null,
    identity_uuid: null,
    session_id: null,
    decky: 'decky-01',
    service: 'ssh',
    evidence: {},
    attack_version: '18.1',
    observed_at: at(0),
    ...extra,
  };
}

function insert(db: Db, tags: readonly NewTtpTag[]): Promise<string[]> {
  return db.write((tx) => db.repos.ttpTags.insertMany(tx, tags));
}

/** The filter and aggregate fixture (see each `it` for what it selects). */
function fixture() {
  return {
    A: tag({ observed_at: at(0) }),
    B: tag({ sub_technique_id: 'T1110.001', rule_id: 'R0002', confidence: 0.9, attacker_uuid: U1, session_id: 'S1', observed_at: at(10) }),
    C: tag({ technique_id: 'T1078', sub_technique_id: 'T1078.001', tactic_id: 'TA0001', rule_id: 'R0003', confidence: 0.7, decky: 'decky-02', observed_at: at(20) }),
    D: tag({ sub_technique_id: 'T1110.004', rule_id: 'R0004', confidence: 0.95, attacker_ip: IP7, attacker_uuid: U2, decky: 'decky-02', observed_at: at(30) }),
    E: tag({ technique_id: 'T1082', tactic_id: 'TA0007', rule_id: 'R0010', confidence: 0.3, attacker_ip: null, identity_uuid: I1, input_kind: 'identity', decky: null, service: null, observed_at: at(40) }),
    G: tag({ technique_id: 'T1105', tactic_id: 'TA0011', rule_id: 'R0020', confidence: 0.6, attacker_ip: IP99, attacker_uuid: U1, decky: 'decky-03', observed_at: at(50) }),
    H: tag({ sub_technique_id: 'T1110.001', tactic_id: 'TA0001', confidence: 0.4, observed_at: at(60) }),
    I: tag({ sub_technique_id: 'T1110.001', rule_id: 'R0002', confidence: 0.8, attacker_ip: IP99, attacker_uuid: U1, session_id: 'S1', decky: 'decky-03', observed_at: at(70) }),
  };
}

type Fixture = ReturnType<typeof fixture>;
type Key = keyof Fixture;

async function seeded(db: Db): Promise<Fixture> {
  const f = fixture();
  await insert(db, Object.values(f));
  return f;
}

export function ttpCases(ctx: SuiteContext): void {
  beforeEach(async () => {
    await ctx.db().write(async (tx) => {
      for (const table of ['ttp_tags', 'ttp_rules', 'ttp_rule_states', 'ttp_rule_catalog'] as const) await tx.db.deleteFrom(table).execute();
    });
  });

  it('inserts tags and reads them back: JSON columns, confidence to 4 decimals, six-digit times, lowercase UUIDs', async () => {
    const db = ctx.db();
    const input = tag({
      id: randomUUID().toUpperCase(),
      confidence: 0.876543,
      group_key: ['198.51.100.23', 3, null],
      attacker_uuid: U1.toUpperCase(),
      identity_uuid: I1,
      evidence: { command: 'cat /etc/shadow', fields: { n: 1, list: ['a', null] } },
    });
    const [id] = await insert(db, [input]);
    expect(id).toBe(input.id.toLowerCase());
    const row = await db.repos.ttpTags.get(input.id);
    expect(row).toEqual({ ...input, id, confidence: 0.8765, attacker_uuid: U1, seq: expect.any(Number), created_at: ctx.clock.isoNow() });
    expect(row?.observed_at).toBe('2026-05-01T12:00:00.000500Z');
    expect(row?.created_at).toMatch(ISO6);
    expect(await db.repos.ttpTags.get(randomUUID())).toBeUndefined();
    expect(await db.repos.ttpTags.get('not-a-uuid')).toBeUndefined();
  });

  it('returns only the new ids, in input order: a re-insert returns [] and a repeated id counts once', async () => {
    const db = ctx.db();
    const [a, b, c] = [tag(), tag(), tag()];
    expect(await insert(db, [a, b])).toEqual([a.id, b.id]);
    expect(await insert(db, [a, b])).toEqual([]);
    expect(await insert(db, [b, c, a, c])).toEqual([c.id]);
    expect(await db.write((tx) => db.repos.ttpTags.insertMany(tx, []))).toEqual([]);
    expect((await db.repos.ttpTags.list({}, { limit: 10, offset: 0 })).total).toBe(3);
  });

  it('inserts above the 200-row chunk, new ids spread over chunks, old ones skipped', async () => {
    const db = ctx.db();
    const tags = Array.from({ length: 450 }, (_, i) => tag({ observed_at: at(i) }));
    const old = [tags[5], tags[250], tags[449]].filter((t) => t !== undefined);
    await insert(db, old);
    const fresh = await insert(db, tags);
    expect(fresh).toEqual(tags.filter((t) => !old.includes(t)).map((t) => t.id));
    expect(await insert(db, tags)).toEqual([]);
    expect((await db.repos.ttpTags.list({}, { limit: 1, offset: 0 })).total).toBe(450);
  });

  it('gives seqs that grow in insert order, within a call and across calls, and breaks observed_at ties by seq', async () => {
    const db = ctx.db();
    const first = [tag(), tag(), tag()];
    const second = [tag(), tag()];
    await insert(db, first);
    await insert(db, second);
    const seqs = await Promise.all([...first, ...second].map(async (t) => (await db.repos.ttpTags.get(t.id))?.seq ?? NaN));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? Infinity);
    // every tag has the same observed_at: newest seq first
    const { tags } = await db.repos.ttpTags.list({}, { limit: 10, offset: 0 });
    expect(tags.map((t) => t.id)).toEqual([...first, ...second].map((t) => t.id).reverse());
  });

  it('takes the ttp_tags lock in the caller transaction (refused after events: out of canonical order)', async () => {
    const db = ctx.db();
    await expect(
      db.write(async (tx) => {
        await tx.lock('events');
        await db.repos.ttpTags.insertMany(tx, [tag()]);
      }),
    ).rejects.toBeInstanceOf(LockOrderError);
    const ids = await db.write((tx) => db.repos.ttpTags.insertMany(tx, [tag()]), { locks: ['ttp_tags', 'events'] });
    expect(ids).toHaveLength(1);
  });

  it('enforces the CHECK constraints: confidence within 0.3–1, and a subject (address, attacker or identity)', async () => {
    const db = ctx.db();
    await expect(insert(db, [tag({ confidence: 0.2 })])).rejects.toThrow();
    await expect(insert(db, [tag({ confidence: 1.01 })])).rejects.toThrow();
    await expect(insert(db, [tag(), tag({ attacker_ip: null, attacker_uuid: null, identity_uuid: null })])).rejects.toThrow();
    expect(await insert(db, [tag({ confidence: 0.3 }), tag({ confidence: 1 }), tag({ attacker_ip: null, identity_uuid: I1 }), tag({ attacker_ip: null, attacker_uuid: U1 })])).toHaveLength(4);
    expect((await db.repos.ttpTags.list({}, { limit: 10, offset: 0 })).total).toBe(4);
  });

  it('leaves no tag when the transaction fails after insertMany', async () => {
    const db = ctx.db();
    const t = tag();
    await expect(
      db.write(async (tx) => {
        expect(await db.repos.ttpTags.insertMany(tx, [t])).toEqual([t.id]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.repos.ttpTags.get(t.id)).toBeUndefined();
    // the retry of the batch inserts it as new
    expect(await insert(db, [t])).toEqual([t.id]);
  });

  it('filters tags by every TagFilter field, newest observed_at first', async () => {
    const db = ctx.db();
    const f = await seeded(db);
    const ids = async (filter: TagFilter): Promise<Key[]> => {
      const { tags, total } = await db.repos.ttpTags.list(filter, { limit: 100, offset: 0 });
      expect(total).toBe(tags.length);
      return tags.map((t) => (Object.keys(f) as Key[]).find((k) => f[k].id === t.id) ?? ('?' as Key));
    };
    expect(await ids({})).toEqual(['I', 'H', 'G', 'E', 'D', 'C', 'B', 'A']);
    expect(await ids({ technique: 'T1110' })).toEqual(['I', 'H', 'D', 'B', 'A']);
    expect(await ids({ technique: 'T1110.001' })).toEqual(['I', 'H', 'B']);
    expect(await ids({ technique: 'T1110.004' })).toEqual(['D']);
    expect(await ids({ technique: 'T1078' })).toEqual(['C']);
    expect(await ids({ technique: 'T1078.001' })).toEqual(['C']);
    expect(await ids({ tactic: 'TA0006' })).toEqual(['I', 'D', 'B', 'A']);
    expect(await ids({ rule_id: 'R0002' })).toEqual(['I', 'B']);
    expect(await ids({ min_confidence: 0.9 })).toEqual(['D', 'B']);
    expect(await ids({ since: at(10), until: at(30) })).toEqual(['D', 'C', 'B']);
    // other ISO shapes of the same instants bound the same way
    expect(await ids({ since: at(10).replace('Z', '+00:00'), until: '2026-05-01T12:00:30.0005Z' })).toEqual(['D', 'C', 'B']);
    expect(await ids({ since: '2026-05-01T12:00:10Z', until: '2026-05-01T13:00:29+01:00' })).toEqual(['C', 'B']);
    expect(await ids({ attacker_ip: IP23 })).toEqual(['H', 'C', 'B', 'A']);
    expect(await ids({ attacker_uuid: U1 })).toEqual(['I', 'G', 'B']);
    expect(await ids({ attacker_uuid: U1.toUpperCase() })).toEqual(['I', 'G', 'B']);
    expect(await ids({ attacker_uuid: 'not-a-uuid' })).toEqual([]);
    expect(await ids({ attacker: { uuid: U1, ip: IP23 } })).toEqual(['I', 'H', 'G', 'C', 'B', 'A']);
    expect(await ids({ attacker: { uuid: U2, ip: IP7 } })).toEqual(['D']);
    expect(await ids({ attacker: { uuid: U3, ip: IP23 } })).toEqual(['H', 'C', 'A']);
    expect(await ids({ session_id: 'S1' })).toEqual(['I', 'B']);
    expect(await ids({ decky: 'decky-01', attacker_ip: IP23, since: at(0), until: at(10) })).toEqual(['B', 'A']);
    expect(await ids({ attacker: { uuid: U1, ip: IP23 }, technique: 'T1110', min_confidence: 0.5 })).toEqual(['I', 'B', 'A']);
  });

  it('pages the list and reports the total of the whole filter', async () => {
    const db = ctx.db();
    const f = await seeded(db);
    const page = await db.repos.ttpTags.list({}, { limit: 3, offset: 2 });
    expect(page.total).toBe(8);
    expect(page.tags.map((t) => t.id)).toEqual([f.G.id, f.E.id, f.D.id]);
    const filtered = await db.repos.ttpTags.list({ technique: 'T1110' }, { limit: 2, offset: 4 });
    expect(filtered).toEqual({ tags: [expect.objectContaining({ id: f.A.id })], total: 5 });
    expect(await db.repos.ttpTags.list({ technique: 'T9999' }, { limit: 2, offset: 0 })).toEqual({ tags: [], total: 0 });
  });

  it('aggregates per (technique, sub-technique): distinct sorted tactics and rules, distinct attackers, times and max confidence', async () => {
    const db = ctx.db();
    await seeded(db);
    const row = (technique_id: string, sub_technique_id: string | null, rest: object) => ({ technique_id, sub_technique_id, ...rest });
    expect(await db.repos.ttpTags.techniques({})).toEqual([
      row('T1078', 'T1078.001', { tactic_ids: ['TA0001'], tag_count: 1, attacker_count: 1, first_seen: at(20), last_seen: at(20), max_confidence: 0.7, rule_ids: ['R0003'] }),
      row('T1082', null, { tactic_ids: ['TA0007'], tag_count: 1, attacker_count: 0, first_seen: at(40), last_seen: at(40), max_confidence: 0.3, rule_ids: ['R0010'] }),
      row('T1105', null, { tactic_ids: ['TA0011'], tag_count: 1, attacker_count: 1, first_seen: at(50), last_seen: at(50), max_confidence: 0.6, rule_ids: ['R0020'] }),
      row('T1110', null, { tactic_ids: ['TA0006'], tag_count: 1, attacker_count: 1, first_seen: at(0), last_seen: at(0), max_confidence: 0.5, rule_ids: ['R0001'] }),
      // B (U1), H (unlinked at .23), I (U1 at another address): two attackers
      row('T1110', 'T1110.001', { tactic_ids: ['TA0001', 'TA0006'], tag_count: 3, attacker_count: 2, first_seen: at(10), last_seen: at(70), max_confidence: 0.9, rule_ids: ['R0001', 'R0002'] }),
      row('T1110', 'T1110.004', { tactic_ids: ['TA0006'], tag_count: 1, attacker_count: 1, first_seen: at(30), last_seen: at(30), max_confidence: 0.95, rule_ids: ['R0004'] }),
    ]);
    const mine = await db.repos.ttpTags.techniques({ attacker: { uuid: U1, ip: IP23 }, since: at(20) });
    expect(mine.map((t) => [t.technique_id, t.sub_technique_id, t.tag_count])).toEqual([
      ['T1078', 'T1078.001', 1],
      ['T1105', null, 1],
      ['T1110', 'T1110.001', 2],
    ]);
    expect(await db.repos.ttpTags.techniques({ technique: 'T9999' })).toEqual([]);
  });

  it('techniquesForAttackers answers a page at once: linked tags and unlinked ones at each address', async () => {
    const db = ctx.db();
    await seeded(db);
    const page = [
      { id: U1, ip: IP23 },
      { id: U2, ip: IP7 },
      { id: U3, ip: IP23 }, // another attacker at the address: its unlinked tags are its too
      { id: '44444444-4444-4444-8444-444444444444', ip: '192.0.2.1' },
      { id: U1, ip: IP23 },
    ];
    const result = await db.repos.ttpTags.techniquesForAttackers(page);
    expect([...result.keys()]).toEqual([U1, U2, U3, '44444444-4444-4444-8444-444444444444']);
    for (const a of page) expect(result.get(a.id)).toEqual(await db.repos.ttpTags.techniques({ attacker: { uuid: a.id, ip: a.ip } }));
    expect(result.get(U1)?.map((t) => t.sub_technique_id ?? t.technique_id)).toEqual(['T1078.001', 'T1105', 'T1110', 'T1110.001']);
    expect(result.get(U3)?.map((t) => [t.sub_technique_id ?? t.technique_id, t.tag_count])).toEqual([
      ['T1078.001', 1],
      ['T1110', 1],
      ['T1110.001', 1],
    ]);
    expect(result.get('44444444-4444-4444-8444-444444444444')).toEqual([]);
    expect(await db.repos.ttpTags.techniquesForAttackers([])).toEqual(new Map());
  });

  it('summarises a scope and counts tags per rule', async () => {
    const db = ctx.db();
    await seeded(db);
    expect(await db.repos.ttpTags.summary({ attacker: { uuid: U1, ip: IP23 } })).toEqual({ tag_count: 6, first_seen: at(0), last_seen: at(70), attacker_ips: [IP23, IP99], attacker_uuids: [U1] });
    expect(await db.repos.ttpTags.summary({ tactic: 'TA0007' })).toEqual({ tag_count: 1, first_seen: at(40), last_seen: at(40), attacker_ips: [], attacker_uuids: [] });
    expect(await db.repos.ttpTags.summary({ technique: 'T9999' })).toEqual({ tag_count: 0, first_seen: null, last_seen: null, attacker_ips: [], attacker_uuids: [] });
    expect(await db.repos.ttpTags.countByRule()).toEqual(
      new Map([
        ['R0001', 2],
        ['R0002', 2],
        ['R0003', 1],
        ['R0004', 1],
        ['R0010', 1],
        ['R0020', 1],
      ]),
    );
  });

  it('links attackers: only unlinked tags of the address, listed by unlinkedIps', async () => {
    const db = ctx.db();
    const tags = ctx.db().repos.ttpTags;
    const [a, b, linked, other] = [tag(), tag(), tag({ attacker_uuid: U1 }), tag({ attacker_ip: IP7 })];
    await insert(db, [a, b, linked, other, tag({ attacker_ip: null, identity_uuid: I1 })]);
    expect(await tags.unlinkedIps(10)).toEqual([IP23, IP7]);
    expect(await tags.unlinkedIps(1)).toEqual([IP23]);
    expect(await tags.linkAttacker(IP23, U2)).toBe(2);
    expect((await tags.get(a.id))?.attacker_uuid).toBe(U2);
    expect((await tags.get(b.id))?.attacker_uuid).toBe(U2);
    expect((await tags.get(linked.id))?.attacker_uuid).toBe(U1);
    expect(await tags.linkAttacker(IP23, U3)).toBe(0);
    expect(await tags.unlinkedIps(10)).toEqual([IP7]);
    expect(await db.write((tx) => tags.linkAttacker(IP7, U3.toUpperCase(), tx))).toBe(1);
    expect((await tags.get(other.id))?.attacker_uuid).toBe(U3);
    expect(await tags.unlinkedIps(10)).toEqual([]);
    await expect(tags.linkAttacker(IP7, 'not-a-uuid')).rejects.toBeInstanceOf(RangeError);
  });

  it('links sessions: only tags of the given inputs whose session_id is null, over many ids', async () => {
    const db = ctx.db();
    const tags = db.repos.ttpTags;
    const a = tag({ input_id: 'command:a' });
    const a2 = tag({ input_id: 'command:a', technique_id: 'T1082' });
    const done = tag({ input_id: 'command:b', session_id: 'S1' });
    const stranger = tag({ input_id: 'command:c' });
    await insert(db, [a, a2, done, stranger]);
    const many = [...Array.from({ length: 600 }, (_, i) => `command:none-${i}`), 'command:a', 'command:b'];
    expect(await db.write((tx) => tags.linkSession(tx, 'S9', many))).toBe(2);
    expect((await tags.get(a.id))?.session_id).toBe('S9');
    expect((await tags.get(a2.id))?.session_id).toBe('S9');
    expect((await tags.get(done.id))?.session_id).toBe('S1');
    expect((await tags.get(stranger.id))?.session_id).toBeNull();
    expect(await db.write((tx) => tags.linkSession(tx, 'S9', []))).toBe(0);
    expect(await db.write((tx) => tags.linkSession(tx, 'S10', ['command:a']))).toBe(0);
  });

  it('prunes tags observed before a time', async () => {
    const db = ctx.db();
    const f = await seeded(db);
    expect(await db.repos.ttpTags.pruneObservedBefore(at(30))).toBe(3);
    const { tags } = await db.repos.ttpTags.list({}, { limit: 10, offset: 0 });
    expect(tags.map((t) => t.id)).toEqual([f.I.id, f.H.id, f.G.id, f.E.id, f.D.id]);
    expect(await db.repos.ttpTags.pruneObservedBefore(at(30))).toBe(0);
  });

  it('stores rule definitions: version 1 on insert, +1 on replace, delete, hashes and batch reads', async () => {
    const db = ctx.db();
    const rules = db.repos.ttpRules;
    const created = ctx.clock.isoNow();
    const first = await db.write((tx) => rules.putRule(tx, { rule_id: 'R0100', yaml: 'id: R0100\n', content_sha256: 'a'.repeat(64), updated_by: 'admin' }));
    expect(first).toEqual({ created: true, rule: { rule_id: 'R0100', yaml: 'id: R0100\n', version: 1, content_sha256: 'a'.repeat(64), created_at: created, updated_at: created, updated_by: 'admin' } });
    ctx.clock.advance(1500);
    const replaced = await db.write((tx) => rules.putRule(tx, { rule_id: 'R0100', yaml: 'id: R0100\nname: x\n', content_sha256: 'b'.repeat(64), updated_by: null }));
    expect(replaced).toEqual({ created: false, rule: { rule_id: 'R0100', yaml: 'id: R0100\nname: x\n', version: 2, content_sha256: 'b'.repeat(64), created_at: created, updated_at: ctx.clock.isoNow(), updated_by: null } });
    expect(replaced.rule.updated_at).toMatch(ISO6);
    expect((await db.write((tx) => rules.putRule(tx, { rule_id: 'R0100', yaml: 'v3', content_sha256: 'c'.repeat(64), updated_by: 'admin' }))).rule.version).toBe(3);
    await db.write((tx) => rules.putRule(tx, { rule_id: 'R0050', yaml: 'id: R0050\n', content_sha256: 'd'.repeat(64), updated_by: 'admin' }));
    expect(await rules.getRule('R0100')).toMatchObject({ version: 3, yaml: 'v3' });
    expect(await rules.hashes()).toEqual(new Map([['R0100', 'c'.repeat(64)], ['R0050', 'd'.repeat(64)]]));
    expect((await rules.getRules(['R0100', 'R9999', 'R0050'])).map((r) => r.rule_id)).toEqual(['R0050', 'R0100']);
    expect(await rules.getRules([])).toEqual([]);
    expect(await db.write((tx) => rules.deleteRule(tx, 'R0100'))).toBe(true);
    expect(await db.write((tx) => rules.deleteRule(tx, 'R0100'))).toBe(false);
    expect(await rules.getRule('R0100')).toBeUndefined();
    const again = await db.write((tx) => rules.putRule(tx, { rule_id: 'R0100', yaml: 'back', content_sha256: 'e'.repeat(64), updated_by: 'admin' }));
    expect(again).toMatchObject({ created: true, rule: { version: 1 } });
    await db.write(async (tx) => expect(await rules.hashes(tx)).toEqual(new Map([['R0050', 'd'.repeat(64)], ['R0100', 'e'.repeat(64)]])));
  });

  it('stores rule states: set, replace, list, delete, and an expiry delete that spares a newer setting', async () => {
    const db = ctx.db();
    const rules = db.repos.ttpRules;
    const clipped: RuleStateRow = { rule_id: 'R0017', state: 'clipped', confidence_max: 0.5, expires_at: at(3600), reason: 'noisy on the lab subnet', set_by: 'admin', set_at: at(0) };
    await db.write((tx) => rules.setState(tx, clipped));
    expect(await rules.getState('R0017')).toEqual(clipped);
    await db.write((tx) => rules.setState(tx, { rule_id: 'R0002', state: 'disabled', confidence_max: null, expires_at: null, reason: null, set_by: 'admin', set_at: at(1) }));
    expect((await rules.listStates()).map((s) => [s.rule_id, s.state])).toEqual([
      ['R0002', 'disabled'],
      ['R0017', 'clipped'],
    ]);
    // a newer setting with another expiry: the old expiry's delete spares it
    const newer: RuleStateRow = { ...clipped, confidence_max: 0.4, expires_at: at(7200), set_at: at(5) };
    await db.write((tx) => rules.setState(tx, newer));
    expect(await db.write((tx) => rules.deleteExpiredState(tx, 'R0017', clipped.expires_at ?? ''))).toBe(false);
    expect(await rules.getState('R0017')).toEqual(newer);
    expect(await db.write((tx) => rules.deleteExpiredState(tx, 'R0002', at(7200)))).toBe(false);
    // the same instant in another ISO shape matches, on SQLite's text as on timestamptz
    expect(await db.write((tx) => rules.deleteExpiredState(tx, 'R0017', (newer.expires_at ?? '').replace('Z', '+00:00')))).toBe(true);
    expect(await rules.getState('R0017')).toBeUndefined();
    // a time written in a short shape reads back with six digits and still matches
    await db.write((tx) => rules.setState(tx, { ...clipped, expires_at: '2026-05-02T12:00:00Z' }));
    expect((await rules.getState('R0017'))?.expires_at).toBe('2026-05-02T12:00:00.000000Z');
    expect(await db.write((tx) => rules.deleteExpiredState(tx, 'R0017', '2026-05-02T12:00:00.000000Z'))).toBe(true);
    const removed = await db.write((tx) => rules.deleteState(tx, 'R0002'));
    expect(removed).toEqual({ rule_id: 'R0002', state: 'disabled', confidence_max: null, expires_at: null, reason: null, set_by: 'admin', set_at: at(1) });
    expect(await db.write((tx) => rules.deleteState(tx, 'R0002'))).toBeUndefined();
    expect(await rules.listStates()).toEqual([]);
    await expect(db.write((tx) => rules.setState(tx, { ...clipped, reason: 'x'.repeat(513) }))).rejects.toThrow();
    await expect(db.write((tx) => rules.setState(tx, { ...clipped, state: 'paused' as RuleStateRow['state'] }))).rejects.toThrow();
  });

  it('upserts the catalogue: JSON fields round-trip, null last_error, replaced in place', async () => {
    const db = ctx.db();
    const rules = db.repos.ttpRules;
    const row: RuleCatalogRow = {
      rule_id: 'R0001',
      source: 'filesystem',
      version: 3,
      content_sha256: 'f'.repeat(64),
      yaml: 'id: R0001\n',
      name: 'ssh_bruteforce',
      title: 'SSH brute force',
      status: 'stable',
      inputs: ['auth_attempt'],
      emits: [{ technique: 'T1110', tactic: 'TA0006', confidence: 0.6 }],
      candidates: [
        { source: 'builtin', version: 2, content_sha256: 'e'.repeat(64), valid: true, pending: false, problems: [], path: null, seen_at: at(0) },
        { source: 'filesystem', version: 3, content_sha256: 'f'.repeat(64), valid: true, pending: false, problems: [{ code: 'slow_regex', line: 4 }], path: '/etc/decnet/rules/r1.yaml', seen_at: at(1) },
      ],
      last_error: { source: 'database', at: at(2), problems: [{ code: 'wrong_type', line: 2, path: 'detection.user', message: 'quote it' }] },
      loaded_at: at(3),
      instance: 'host-a:1234',
      updated_at: at(4),
    };
    await db.write((tx) => rules.upsertCatalog(tx, row));
    expect(await rules.getCatalog('R0001')).toEqual(row);
    const bare: RuleCatalogRow = { rule_id: 'R0000', source: null, version: null, content_sha256: null, yaml: null, name: null, title: null, status: null, inputs: [], emits: [], candidates: [], last_error: null, loaded_at: null, instance: 'host-a:1234', updated_at: at(5) };
    await db.write((tx) => rules.upsertCatalog(tx, bare));
    const fixed: RuleCatalogRow = { ...row, version: 4, last_error: null, candidates: [], updated_at: at(6) };
    await db.write((tx) => rules.upsertCatalog(tx, fixed));
    expect(await rules.listCatalog()).toEqual([bare, fixed]);
    await db.write(async (tx) => expect(await rules.getCatalog('R0001', tx)).toEqual(fixed));
    expect(await rules.getCatalog('R9999')).toBeUndefined();
  });
}
