/**
 * The registry (ttp.md §5.1, §5.3, §7.3): effective definitions by precedence among valid
 * candidates, one `RuleChange` per changed rule, the catalogue comparison at start. Most
 * cases use stores written by hand (`ManualStore`, on the candidate book every store
 * uses), so "no event" is exact; the last case runs the three real stores.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/bus/index.js';
import type { RuleSourceKind } from '../../../src/ttp/index.js';
import { sha256 } from '../../../src/ttp/index.js';
import { CandidateBook } from '../../../src/ttp/stores/book.js';
import { BuiltinStore, DatabaseStore, FilesystemStore, RuleRegistry, type Candidate, type RuleChange, type RuleStore, type RuleValidator } from '../../../src/ttp/stores/index.js';
import { Serial } from '../../../src/ttp/stores/serial.js';
import { sqliteHarness } from '../../conformance/db/harness.js';
import { until } from './harness.js';
import { brokenYaml, failingYaml, GatedProver, ruleYaml, testValidator, unprovenYaml } from './rules.js';

/** A store whose texts the test sets directly; changes are reported before `put` resolves. */
class ManualStore implements RuleStore {
  private readonly serial = new Serial();
  private readonly book: CandidateBook;

  constructor(
    readonly source: RuleSourceKind,
    private readonly validator: RuleValidator,
    private readonly initial: Readonly<Record<string, string>> = {},
  ) {
    this.book = new CandidateBook(source, this.serial, { validator });
  }

  async start(): Promise<void> {
    for (const [id, text] of Object.entries(this.initial)) await this.put(id, text);
    this.book.goLive();
  }

  candidates(): ReadonlyMap<string, Candidate> {
    return this.book.candidates();
  }

  onChange(cb: (ruleId: string) => void): void {
    this.book.onChange(cb);
  }

  put(id: string, text: string): Promise<void> {
    return this.serial.run(async () => this.book.set(id, { text, path: null, result: await this.validator.validate(text, { source: this.source, file: null }, 'cached') }));
  }

  remove(id: string): Promise<void> {
    return this.serial.run(async () => this.book.remove(id));
  }
}

interface Setup {
  readonly registry: RuleRegistry;
  readonly builtin: ManualStore;
  readonly filesystem: ManualStore;
  readonly database: ManualStore;
  readonly changes: RuleChange[];
  readonly prover: GatedProver;
}

type Texts = Readonly<Record<string, string>>;

async function setup(texts: { builtin?: Texts; filesystem?: Texts; database?: Texts }): Promise<Setup> {
  const prover = new GatedProver();
  const validator = testValidator(prover);
  const builtin = new ManualStore('builtin', validator, texts.builtin);
  const filesystem = new ManualStore('filesystem', validator, texts.filesystem);
  const database = new ManualStore('database', validator, texts.database);
  // Given in any order: the registry ranks them.
  const registry = new RuleRegistry([database, builtin, filesystem]);
  const changes: RuleChange[] = [];
  registry.onChange((c) => changes.push(c));
  await registry.start(new AbortController().signal);
  return { registry, builtin, filesystem, database, changes, prover };
}

const v = (id: string, version: number): string => ruleYaml(id, { version });

describe('rule registry', () => {
  it('takes per rule the valid definition of the highest store, and reports nothing for the start', async () => {
    const s = await setup({
      builtin: { L0001: v('L0001', 1), L0002: v('L0002', 1), L0003: v('L0003', 1) },
      filesystem: { L0001: v('L0001', 2), L0003: failingYaml('L0003') },
      database: { L0001: v('L0001', 3), L0004: brokenYaml('L0004') },
    });
    expect(s.registry.effectiveRules().map((r) => [r.def.id, r.source, r.def.version])).toEqual([
      ['L0001', 'database', 3],
      ['L0002', 'builtin', 1],
      // precedence only among valid definitions: the broken filesystem text does not hide the builtin one
      ['L0003', 'builtin', 1],
    ]);
    expect(s.registry.effectiveOf('L0004')).toBeNull();
    expect(s.registry.ruleIds()).toEqual(['L0001', 'L0002', 'L0003', 'L0004']);
    expect(s.registry.candidateRecords('L0003').map((c) => [c.source, c.valid, c.version])).toEqual([
      ['builtin', true, 1],
      ['filesystem', false, 2],
    ]);
    expect(s.changes).toEqual([]);
  });

  it('applies a higher valid definition, naming the previous one', async () => {
    const s = await setup({ builtin: { L0001: v('L0001', 1) } });
    await s.filesystem.put('L0001', v('L0001', 2));
    expect(s.changes).toHaveLength(1);
    const c = s.changes[0] as RuleChange;
    expect(c).toMatchObject({ rule_id: 'L0001', outcome: 'applied', rejected_source: null, problems: [] });
    expect(c.effective).toMatchObject({ source: 'filesystem', version: 2, content_sha256: sha256(v('L0001', 2)), yaml: v('L0001', 2) });
    expect(c.effective?.rule.def.version).toBe(2);
    expect(c.previous).toEqual({ source: 'builtin', version: 1, content_sha256: sha256(v('L0001', 1)) });
    expect(c.candidates.map((r) => r.source)).toEqual(['builtin', 'filesystem']);
    expect(s.registry.effectiveRules()[0]?.source).toBe('filesystem');
  });

  it('rejects an invalid higher definition, keeping and naming the running version', async () => {
    const s = await setup({ builtin: { L0001: v('L0001', 1) } });
    await s.filesystem.put('L0001', failingYaml('L0001'));
    expect(s.changes).toHaveLength(1);
    const c = s.changes[0] as RuleChange;
    expect(c).toMatchObject({ rule_id: 'L0001', outcome: 'rejected', rejected_source: 'filesystem' });
    expect(c.effective).toMatchObject({ source: 'builtin', version: 1 });
    expect(c.problems.map((p) => p.code)).toContain('test_failed');
    for (const p of c.problems) expect(Object.keys(p).sort()).toEqual(['code', 'line', 'message', 'path']);
    expect(c.candidates.find((r) => r.source === 'filesystem')).toMatchObject({ valid: false, pending: false, content_sha256: sha256(failingYaml('L0001')) });
    expect(s.registry.effectiveOf('L0001')?.source).toBe('builtin');

    // The store's own last good version keeps running through a broken edit.
    await s.filesystem.put('L0001', v('L0001', 3));
    await s.filesystem.put('L0001', brokenYaml('L0001'));
    expect(s.changes.map((x) => x.outcome)).toEqual(['rejected', 'applied', 'rejected']);
    expect(s.changes[2]?.effective).toMatchObject({ source: 'filesystem', version: 3 });
    expect(s.changes[2]?.problems.map((p) => p.code)).toContain('yaml_syntax');
  });

  it('rejects a new rule that never validated, with nothing running', async () => {
    const s = await setup({});
    await s.database.put('L0009', failingYaml('L0009'));
    expect(s.changes.map((c) => [c.outcome, c.effective, c.previous, c.rejected_source])).toEqual([['rejected', null, null, 'database']]);
  });

  it('keeps at most 20 problems in a rejection', async () => {
    const s = await setup({ builtin: { L0001: v('L0001', 1) } });
    const many = v('L0001', 2).replace('emits:\n', `emits:\n${Array.from({ length: 25 }, (_, i) => `  - {technique: T9${String(i).padStart(3, '0')}, tactic: TA0002, confidence: 0.5}\n`).join('')}`);
    await s.filesystem.put('L0001', many);
    expect(s.changes[0]?.outcome).toBe('rejected');
    expect(s.changes[0]?.problems).toHaveLength(20);
  });

  it('a deletion falls back to a lower store (applied) or removes the rule', async () => {
    const s = await setup({ builtin: { L0001: v('L0001', 1) }, filesystem: { L0001: v('L0001', 2), L0005: v('L0005', 1) } });
    await s.filesystem.remove('L0001');
    expect(s.changes).toHaveLength(1);
    expect(s.changes[0]).toMatchObject({ rule_id: 'L0001', outcome: 'applied', previous: { source: 'filesystem', version: 2 } });
    expect(s.changes[0]?.effective).toMatchObject({ source: 'builtin', version: 1 });

    await s.filesystem.remove('L0005');
    expect(s.changes).toHaveLength(2);
    expect(s.changes[1]).toMatchObject({ rule_id: 'L0005', outcome: 'removed', effective: null, previous: { source: 'filesystem', version: 1, content_sha256: sha256(v('L0005', 1)) }, candidates: [] });
    expect(s.registry.effectiveRules().map((r) => r.def.id)).toEqual(['L0001']);
  });

  it('gives one event per rule per change', async () => {
    const ids = ['L0001', 'L0002', 'L0003'];
    const s = await setup({ builtin: Object.fromEntries(ids.map((id) => [id, v(id, 1)])) });
    for (const id of ids) await s.filesystem.put(id, v(id, 2));
    expect(s.changes.map((c) => [c.rule_id, c.outcome])).toEqual(ids.map((id) => [id, 'applied']));
  });

  it('reports nothing when nothing effective changed', async () => {
    const s = await setup({ builtin: { L0001: v('L0001', 1) }, database: { L0001: v('L0001', 3) } });
    await s.filesystem.put('L0001', v('L0001', 2)); // valid, but below the database
    await s.database.put('L0001', v('L0001', 3)); // the same text again
    await s.builtin.remove('L0001'); // not the effective one
    await s.database.put('L0002', unprovenYaml('L0002')); // pending: nothing runs yet
    expect(s.changes).toEqual([]);
    expect(s.registry.effectiveOf('L0001')).toMatchObject({ source: 'database', version: 3 });
  });

  it('a pending definition keeps the running version and is applied when its proof lands', async () => {
    const s = await setup({ builtin: { L0001: v('L0001', 1) } });
    await s.filesystem.put('L0001', unprovenYaml('L0001', 2));
    expect(s.changes).toEqual([]);
    expect(s.registry.candidateRecords('L0001').find((r) => r.source === 'filesystem')).toMatchObject({ pending: true, valid: false });
    await until(() => s.prover.held === 1, 'the proof to be asked for');
    s.prover.release();
    await until(() => s.changes.length === 1, 'the proof to land');
    expect(s.changes[0]).toMatchObject({ outcome: 'applied', previous: { source: 'builtin', version: 1 } });
    expect(s.changes[0]?.effective).toMatchObject({ source: 'filesystem', version: 2 });
  });

  it('lists the changes since a catalogue snapshot', async () => {
    const s = await setup({ builtin: { L0001: v('L0001', 1), L0002: v('L0002', 1), L0004: v('L0004', 1) }, filesystem: { L0002: v('L0002', 2) } });
    const catalog = new Map([
      ['L0001', { source: 'builtin' as const, content_sha256: sha256(v('L0001', 1)), version: 1 }], // unchanged
      ['L0002', { source: 'builtin' as const, content_sha256: sha256(v('L0002', 1)), version: 1 }], // now the filesystem's
      ['L0003', { source: 'database' as const, content_sha256: 'ab'.repeat(32), version: 7 }], // gone
      ['L0006', { source: null, content_sha256: null }], // nothing then, nothing now
    ]);
    const changes = s.registry.changesSince(catalog);
    expect(changes.map((c) => [c.rule_id, c.outcome, c.effective?.source ?? null, c.previous])).toEqual([
      ['L0002', 'applied', 'filesystem', { source: 'builtin', version: 1, content_sha256: sha256(v('L0002', 1)) }],
      ['L0003', 'removed', null, { source: 'database', version: 7, content_sha256: 'ab'.repeat(32) }],
      ['L0004', 'applied', 'builtin', null],
    ]);
  });

  it('refuses two stores of one source', () => {
    const validator = testValidator();
    expect(() => new RuleRegistry([new ManualStore('filesystem', validator), new ManualStore('filesystem', validator)])).toThrow(/one store per source/);
  });
});

describe('rule registry over the real stores', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('follows a file edit, a database definition over it, and its deletion', async () => {
    const packDir = await mkdtemp(join(tmpdir(), 'decnet-pack-'));
    const userDir = await mkdtemp(join(tmpdir(), 'decnet-rules-'));
    cleanups.push(() => rm(packDir, { recursive: true, force: true }), () => rm(userDir, { recursive: true, force: true }));
    await writeFile(join(packDir, 'L0001.yaml'), v('L0001', 1));
    const h = await sqliteHarness();
    if (!('harness' in h)) throw new Error('no SQLite harness');
    const db = await h.harness.main.open();
    cleanups.push(() => h.harness.dispose(), () => db.close());

    const validator = testValidator();
    const database = new DatabaseStore(db.repos.ttpRules, { validator, clock: new FakeClock() });
    const registry = new RuleRegistry([new BuiltinStore(packDir, { validator }), new FilesystemStore(userDir, { validator, rescanSecs: 3600 }), database]);
    const changes: RuleChange[] = [];
    registry.onChange((c) => changes.push(c));
    const ac = new AbortController();
    cleanups.push(async () => ac.abort());
    await registry.start(ac.signal);
    expect(registry.effectiveOf('L0001')?.source).toBe('builtin');

    await writeFile(join(userDir, 'L0001.yaml'), v('L0001', 2));
    await until(() => changes.length === 1, 'the file edit');
    expect(changes[0]?.effective).toMatchObject({ source: 'filesystem', version: 2 });

    const put = v('L0001', 3);
    await db.write((tx) => db.repos.ttpRules.putRule(tx, { rule_id: 'L0001', yaml: put, content_sha256: sha256(put), updated_by: 'test' }));
    await database.poll();
    expect(changes[1]).toMatchObject({ outcome: 'applied', previous: { source: 'filesystem', version: 2 } });
    expect(changes[1]?.effective).toMatchObject({ source: 'database', version: 3 });

    await db.write((tx) => db.repos.ttpRules.deleteRule(tx, 'L0001'));
    await database.poll();
    expect(changes[2]?.effective).toMatchObject({ source: 'filesystem', version: 2 });

    await unlink(join(userDir, 'L0001.yaml'));
    await until(() => changes.length === 4, 'the file deletion');
    expect(changes[3]?.effective).toMatchObject({ source: 'builtin', version: 1 });
    expect(changes.map((c) => c.outcome)).toEqual(['applied', 'applied', 'applied', 'applied']);
  });
});
