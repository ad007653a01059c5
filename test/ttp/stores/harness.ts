/**
 * The store conformance harnesses: one per store, each opening a started store over given
 * rule texts (a real temp directory, a real database) and writing to it the way its owner
 * would. `settle(ids)` waits until each id has been reported, then until the store is
 * quiet — for the watched directory, until a marker file written afterwards is reported.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../src/bus/index.js';
import type { Db, WriteTx } from '../../../src/db/index.js';
import { sha256 } from '../../../src/ttp/index.js';
import { BuiltinStore, DatabaseStore, FilesystemStore, type FilesystemStoreOptions, type RuleStore, type StoreOptions } from '../../../src/ttp/stores/index.js';
import { GatedProver, ruleYaml, testValidator } from './rules.js';

export interface StoreCapabilities {
  /** Texts can change after start (builtin is read-only). */
  readonly write: boolean;
}

export interface OpenOptions {
  readonly seed?: ReadonlyMap<string, string>;
}

export interface OpenedStore {
  readonly store: RuleStore;
  /** Holds every regex proof until released. */
  readonly prover: GatedProver;
  /** The rule ids the store reported, in order (settle markers left out). */
  readonly changes: string[];
  write(ruleId: string, yaml: string): Promise<void>;
  remove(ruleId: string): Promise<void>;
  settle(ids: readonly string[]): Promise<void>;
}

export interface StoreHarness {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** A started store over `initial` (rule id → text); closed by `closeAll`. */
  open(initial: Readonly<Record<string, string>>, opts?: OpenOptions): Promise<OpenedStore>;
  closeAll(): Promise<void>;
}

const MARKER = 'Z_SETTLE_';

/** Polls `cond` every 10 ms until it holds (a generous deadline, never a timing assertion). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Backend {
  readonly store: RuleStore;
  write(ruleId: string, yaml: string): Promise<void>;
  remove(ruleId: string): Promise<void>;
  /** Makes the store look now (the database's poll); a no-op where events drive it. */
  kick(): Promise<void>;
  /** Resolves once what was written before it has been reported. */
  barrier(markers: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

function opened(backend: Backend, prover: GatedProver): OpenedStore {
  const changes: string[] = [];
  const markers: string[] = [];
  backend.store.onChange((id) => (id.startsWith(MARKER) ? markers : changes).push(id));
  let settledAt = 0;
  return {
    store: backend.store,
    prover,
    changes,
    write: (id, yaml) => backend.write(id, yaml),
    remove: (id) => backend.remove(id),
    async settle(ids) {
      await until(async () => {
        await backend.kick();
        const since = changes.slice(settledAt);
        return ids.every((id) => since.includes(id));
      }, `changes of ${ids.join(', ')}`);
      await backend.barrier(markers);
      settledAt = changes.length;
    },
  };
}

function harness(name: string, capabilities: StoreCapabilities, make: (initial: Readonly<Record<string, string>>, opts: StoreOptions) => Promise<Backend>): StoreHarness {
  const live: { backend: Backend; ac: AbortController }[] = [];
  return {
    name,
    capabilities,
    async open(initial, opts = {}) {
      const prover = new GatedProver();
      const backend = await make(initial, { validator: testValidator(prover), seed: opts.seed });
      const ac = new AbortController();
      live.push({ backend, ac });
      const o = opened(backend, prover);
      await backend.store.start(ac.signal);
      return o;
    },
    async closeAll() {
      for (const { backend, ac } of live.splice(0)) {
        ac.abort();
        await backend.close();
      }
    },
  };
}

async function writeRules(dir: string, initial: Readonly<Record<string, string>>): Promise<void> {
  for (const [id, yaml] of Object.entries(initial)) await writeFile(join(dir, `${id}.yaml`), yaml);
}

export function builtinHarness(): StoreHarness {
  return harness('builtin', { write: false }, async (initial, opts) => {
    const dir = await mkdtemp(join(tmpdir(), 'decnet-builtin-'));
    await writeRules(dir, initial);
    const unsupported = (): Promise<void> => Promise.reject(new Error('the builtin store is read-only'));
    return { store: new BuiltinStore(dir, opts), write: unsupported, remove: unsupported, kick: () => Promise.resolve(), barrier: () => Promise.resolve(), close: () => rm(dir, { recursive: true, force: true }) };
  });
}

/** The watched directory; `extra` adjusts the store (by default no rescan runs during a case: the watch alone must find every change). */
export function filesystemHarness(extra: Omit<FilesystemStoreOptions, 'validator' | 'seed'> = {}): StoreHarness {
  return harness('filesystem', { write: true }, async (initial, opts) => {
    const dir = await mkdtemp(join(tmpdir(), 'decnet-rules-'));
    await writeRules(dir, initial);
    let n = 0;
    const path = (id: string): string => join(dir, `${id}.yaml`);
    return {
      store: new FilesystemStore(dir, { rescanSecs: 3600, ...extra, ...opts }),
      write: (id, yaml) => writeFile(path(id), yaml),
      remove: (id) => unlink(path(id)),
      kick: () => Promise.resolve(),
      async barrier(markers) {
        const id = `${MARKER}${++n}`;
        await writeFile(path(id), ruleYaml(id));
        await until(() => markers.includes(id), `the settle marker ${id}`);
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
  });
}

/** The database store over `db()` (its `ttp_rules` emptied per open); polls are driven by `poll()`. */
export function databaseHarness(name: string, db: () => Db): StoreHarness {
  return harness(name, { write: true }, async (initial, opts) => {
    const d = db();
    const repo = d.repos.ttpRules;
    const put = async (tx: WriteTx, id: string, yaml: string): Promise<void> => void (await repo.putRule(tx, { rule_id: id, yaml, content_sha256: sha256(yaml), updated_by: 'test' }));
    await d.write(async (tx) => {
      await tx.db.deleteFrom('ttp_rules').execute();
      for (const [id, yaml] of Object.entries(initial)) await put(tx, id, yaml);
    });
    // A clock that never moves: the timer never polls, `kick` and `barrier` do.
    const store = new DatabaseStore(repo, { ...opts, clock: new FakeClock() });
    return {
      store,
      write: (id, yaml) => d.write((tx) => put(tx, id, yaml)),
      remove: (id) => d.write(async (tx) => void (await repo.deleteRule(tx, id))),
      kick: () => store.poll(),
      barrier: () => store.poll(),
      close: () => Promise.resolve(),
    };
  });
}
