/**
 * The worker's rule runtime (ttp.md §5.3, §6.2, §7.3) over a real SQLite file and a real
 * watched directory: what the catalogue row and the journal say through a broken edit, its
 * repair, and a restart with a file broken while no worker ran.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../../src/bus/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { openDatabase, type Db, type RuleCatalogRow } from '../../../src/db/index.js';
import { createRuleRuntime, type RuleRuntime } from '../../../src/ttp/worker/index.js';
import { brokenYaml, failingYaml, ruleYaml } from '../stores/rules.js';
import { until } from './support.js';

describe('ttp rule runtime: catalogue rows and rule.reloaded', () => {
  let home: string;
  let db: Db;
  const stops: AbortController[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) s.abort();
    await db.close();
    await rm(home, { recursive: true, force: true });
  });

  async function setUp(): Promise<{ rulesDir: string; builtinDir: string }> {
    home = await mkdtemp(join(tmpdir(), 'dn-ttp-rt-'));
    db = await openDatabase({ url: `sqlite:${join(home, 'decnet.db')}`, home });
    const builtinDir = join(home, 'pack');
    await mkdir(builtinDir);
    await writeFile(join(builtinDir, 'B0001.yaml'), ruleYaml('B0001'));
    return { rulesDir: join(home, 'rules'), builtinDir };
  }

  async function start(dirs: { rulesDir: string; builtinDir: string }): Promise<RuleRuntime> {
    const config = loadConfig({ env: { DECNET_HOME: home, DECNET_TTP_RULES_DIR: dirs.rulesDir, DECNET_TTP_FS_DEBOUNCE_MS: '20', DECNET_TTP_DB_POLL_MS: '100' } });
    const stop = new AbortController();
    stops.push(stop);
    return createRuleRuntime({ db, bus: null, config: config.ttp, home, log: silentLogger, clock: systemClock, watch: true, instance: 'test:1', builtinDir: dirs.builtinDir }, stop.signal);
  }

  const row = async (id: string): Promise<RuleCatalogRow | undefined> => db.repos.ttpRules.getCatalog(id);
  const reloads = async (id: string): Promise<string[]> => (await db.repos.journal.readAfter(0, { patterns: [`ttp.rule.reloaded.${id}`], limit: 100 })).map((j) => String(j.payload.outcome));

  it('a broken edit is rejected and recorded; restoring the running text clears the error without an event', async () => {
    const dirs = await setUp();
    const file = join(dirs.rulesDir, 'L0001.yaml');
    await mkdir(dirs.rulesDir);
    await writeFile(file, ruleYaml('L0001'));
    const rt = await start(dirs);
    expect(rt.rules().map((r) => r.def.id)).toEqual(['B0001', 'L0001']);
    expect(await reloads('L0001')).toEqual(['applied']);
    expect(await row('L0001')).toMatchObject({ source: 'filesystem', version: 1, last_error: null });

    await writeFile(file, failingYaml('L0001'));
    await until(async () => (await reloads('L0001')).length === 2, 'the rejection');
    expect(await reloads('L0001')).toEqual(['applied', 'rejected']);
    await until(async () => (await row('L0001'))?.last_error !== null, 'last_error');
    expect(await row('L0001')).toMatchObject({ source: 'filesystem', version: 1, last_error: { source: 'filesystem' } });
    expect(rt.counters().rules_invalid).toBe(1);

    await writeFile(file, ruleYaml('L0001'));
    await until(async () => (await row('L0001'))?.last_error === null, 'the error to clear');
    expect((await row('L0001'))?.candidates.every((c) => c.valid)).toBe(true);
    expect(await reloads('L0001')).toEqual(['applied', 'rejected']);
    expect(rt.counters().rules_invalid).toBe(0);
  });

  it('after a restart, a file broken meanwhile keeps its last good version, with its error and no event', async () => {
    const dirs = await setUp();
    const file = join(dirs.rulesDir, 'L0001.yaml');
    await mkdir(dirs.rulesDir);
    await writeFile(file, ruleYaml('L0001'));
    await start(dirs);
    (stops.pop() as AbortController).abort();
    await writeFile(file, brokenYaml('L0001'));
    const rt = await start(dirs);
    expect(rt.rules().find((r) => r.def.id === 'L0001')?.source).toBe('filesystem');
    expect(await reloads('L0001')).toEqual(['applied']);
    const after = await row('L0001');
    expect(after).toMatchObject({ source: 'filesystem', version: 1 });
    expect(after?.last_error).toMatchObject({ source: 'filesystem' });
    expect((after?.last_error?.problems ?? []).length).toBeGreaterThan(0);
  });
});
