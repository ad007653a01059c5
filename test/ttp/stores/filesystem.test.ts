/**
 * The watched directory beyond the conformance suite (ttp.md §5.2, CORRECTIONS #9.7): the
 * four save styles, names that are not rules, duplicate ids, the rescan without a watch,
 * a replaced directory, a missing one. Real temp directories and a real `fs.watch`.
 */
import { mkdir, mkdtemp, open, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/bus/index.js';
import { sha256 } from '../../../src/ttp/index.js';
import { FilesystemStore, type FilesystemStoreOptions } from '../../../src/ttp/stores/index.js';
import { filesystemHarness, until, type OpenedStore } from './harness.js';
import { ruleYaml, testValidator } from './rules.js';
import { candidateOf } from './suite.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'decnet-rules-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A started store over `dir` (its files written first), with the rule ids it reports. */
async function startStore(dir: string, files: Readonly<Record<string, string>>, opts: Omit<FilesystemStoreOptions, 'validator'> = {}): Promise<{ store: FilesystemStore; changes: string[] }> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const store = new FilesystemStore(dir, { validator: testValidator(), ...opts });
  const changes: string[] = [];
  store.onChange((id) => changes.push(id));
  const ac = new AbortController();
  cleanups.push(async () => ac.abort());
  await store.start(ac.signal);
  return { store, changes };
}

function dirOf(s: OpenedStore): string {
  return (s.store as FilesystemStore).dir;
}

describe('filesystem store: save styles', () => {
  // A debounce long enough that the truncate-then-write gap below lands between the first
  // read and the second one (a failing file is read again after twice the debounce).
  const h = filesystemHarness({ debounceMs: 200 });
  afterEach(() => h.closeAll());

  const v2 = ruleYaml('L0001', { version: 2 });
  const styles: Record<string, (path: string) => Promise<void>> = {
    'write in place': async (path) => {
      const f = await open(path, 'r+');
      await f.write(v2, 0);
      await f.truncate(Buffer.byteLength(v2));
      await f.close();
    },
    'temp then rename': async (path) => {
      await writeFile(`${path}.tmp`, v2);
      await rename(`${path}.tmp`, path);
    },
    'truncate then write': async (path) => {
      await truncate(path, 0);
      await new Promise((r) => setTimeout(r, 300)); // the empty file is read (and fails) first
      await writeFile(path, v2, { flag: 'a' });
    },
    'delete then create': async (path) => {
      await unlink(path);
      await writeFile(path, v2);
    },
  };

  for (const [style, save] of Object.entries(styles)) {
    it(`${style} gives one change`, async () => {
      const s = await h.open({ L0001: ruleYaml('L0001') });
      await save(join(dirOf(s), 'L0001.yaml'));
      await s.settle(['L0001']);
      expect(s.changes).toEqual(['L0001']);
      const c = candidateOf(s.store.candidates(), 'L0001');
      expect(c.good?.content_sha256).toBe(sha256(v2));
      expect(c.current.valid).toBe(true);
    });
  }
});

describe('filesystem store: what is not a rule file', () => {
  it('ignores swap files, backups, dotfiles, 4913 probes, other extensions and subdirectories, without a log line', async () => {
    const lines: string[] = [];
    const h = filesystemHarness({ log: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }) });
    cleanups.push(() => h.closeAll());
    const s = await h.open({ L0001: ruleYaml('L0001') });
    const dir = dirOf(s);
    // Each holds a valid rule of its own id: read, it would become a candidate.
    const decoys: Record<string, string> = { '.L0002.yaml.swp': 'L0002', 'L0003.yaml~': 'L0003', '.L0004.yaml': 'L0004', '4913': 'L0005', 'L0006.yaml.tmp': 'L0006', 'L0007.txt': 'L0007', '#L0008.yaml#': 'L0008' };
    for (const [name, id] of Object.entries(decoys)) await writeFile(join(dir, name), ruleYaml(id));
    await mkdir(join(dir, 'sub.yaml'));
    await writeFile(join(dir, 'sub.yaml', 'L0009.yaml'), ruleYaml('L0009'));
    await s.settle([]);
    expect(s.changes).toEqual([]);
    expect([...s.store.candidates().keys()].filter((id) => id.startsWith('L'))).toEqual(['L0001']);
    expect(lines).toEqual([]);
  });
});

describe('filesystem store: one file per id', () => {
  it('of two files with one id the name sorting first wins; the other is duplicate_rule_id', async () => {
    const dir = await tempDir();
    const { store, changes } = await startStore(dir, { 'b.yaml': ruleYaml('L0001', { version: 2 }), 'a.yaml': ruleYaml('L0001') });
    const c = candidateOf(store.candidates(), 'L0001');
    expect(c.current.path).toBe(join(dir, 'a.yaml'));
    expect(c.good?.version).toBe(1);
    const files = store.files();
    expect(files.get('a.yaml')?.problems.map((p) => p.code)).not.toContain('duplicate_rule_id');
    expect(files.get('b.yaml')?.problems.map((p) => p.code)).toContain('duplicate_rule_id');
    expect(files.get('b.yaml')?.rule_id).toBe('L0001');

    // The winner goes: the other file's definition takes over.
    await unlink(join(dir, 'a.yaml'));
    await until(() => changes.length > 0, 'the change after deleting the winner');
    const after = candidateOf(store.candidates(), 'L0001');
    expect(after.current.path).toBe(join(dir, 'b.yaml'));
    expect(after.good?.version).toBe(2);
    expect(store.files().get('b.yaml')?.problems.map((p) => p.code)).not.toContain('duplicate_rule_id');
  });
});

describe('filesystem store: rescan', () => {
  it('with the watch off, the rescan finds an edit, a new file, an invalid file and a deletion', async () => {
    const dir = await tempDir();
    const clock = new FakeClock();
    const { store, changes } = await startStore(dir, { 'L0001.yaml': ruleYaml('L0001'), 'L0002.yaml': ruleYaml('L0002') }, { watch: false, clock });
    await writeFile(join(dir, 'L0001.yaml'), ruleYaml('L0001', { version: 2 }));
    await writeFile(join(dir, 'L0003.yaml'), ruleYaml('L0003'));
    await writeFile(join(dir, 'L0004.yaml'), 'id: L0004\nversion: [\n');
    await unlink(join(dir, 'L0002.yaml'));
    // Each step runs the rescan due (and the second read of the failing file).
    await until(() => {
      clock.advance(10_000);
      return changes.length >= 4;
    }, 'the rescan');
    expect([...changes].sort()).toEqual(['L0001', 'L0002', 'L0003', 'L0004']);
    expect(candidateOf(store.candidates(), 'L0001').good?.version).toBe(2);
    expect(candidateOf(store.candidates(), 'L0003').current.valid).toBe(true);
    expect(candidateOf(store.candidates(), 'L0004').current.problems.map((p) => p.code)).toContain('yaml_syntax');
    expect(store.candidates().has('L0002')).toBe(false);
  });

  it('re-arms the watch when the directory is replaced', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'rules');
    await mkdir(dir);
    const clock = new FakeClock();
    const { store, changes } = await startStore(dir, { 'L0001.yaml': ruleYaml('L0001') }, { clock, rescanSecs: 3600 });
    await rename(dir, join(parent, 'rules.old'));
    await mkdir(dir);
    await writeFile(join(dir, 'L0001.yaml'), ruleYaml('L0001', { version: 2 }));
    clock.advance(3_600_000); // the rescan: another directory at the path
    await until(() => changes.length >= 1, 'the rescan of the new directory');
    expect(candidateOf(store.candidates(), 'L0001').good?.version).toBe(2);

    // From now on the watch on the new directory sees edits; no further rescan is due.
    await writeFile(join(dir, 'L0001.yaml'), ruleYaml('L0001', { version: 3 }));
    await until(() => {
      clock.advance(60); // the debounce
      return changes.length >= 2;
    }, 'the watched edit');
    expect(candidateOf(store.candidates(), 'L0001').good?.version).toBe(3);
  });

  it('creates the directory when it is missing', async () => {
    const dir = join(await tempDir(), 'not', 'yet');
    const { store } = await startStore(dir, {}, { clock: new FakeClock() });
    expect(store.candidates().size).toBe(0);
    expect(existsSync(dir)).toBe(true);
  });
});
