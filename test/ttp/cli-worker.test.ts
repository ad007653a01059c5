/**
 * `decnet ttp` refuses to start, naming the file, when the ATT&CK data or its licence is
 * missing or altered (ttp.md §9.1, §10.1).
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackDataDir } from '../../src/ttp/index.js';
import { ensureBuilt, spawnCli } from '../support/cli.js';

describe('decnet ttp with damaged ATT&CK data', () => {
  let home: string;
  beforeAll(() => {
    ensureBuilt();
    home = mkdtempSync(join(tmpdir(), 'dn-ttp-cat-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  async function startWith(bundleDir: string): Promise<{ code: number | string; stderr: string }> {
    const run = spawnCli(['ttp', '--rules-dir', 'off'], { DECNET_HOME: home, DECNET_BUS_TYPE: 'memory', DECNET_ATTACK_BUNDLE: join(bundleDir, 'enterprise-attack-18.1.json') });
    return { code: await run.exited, stderr: run.stderr };
  }

  it('exits 1 naming the licence when it is missing', async () => {
    const dir = mkdtempSync(join(home, 'nolicence-'));
    copyFileSync(join(attackDataDir(), 'enterprise-attack-18.1.json'), join(dir, 'enterprise-attack-18.1.json'));
    const r = await startWith(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, 'LICENSE.txt'));
  });

  it('exits 1 naming the licence when it lost MITRE’s designation', async () => {
    const dir = mkdtempSync(join(home, 'altered-'));
    copyFileSync(join(attackDataDir(), 'enterprise-attack-18.1.json'), join(dir, 'enterprise-attack-18.1.json'));
    writeFileSync(join(dir, 'LICENSE.txt'), 'some other licence\n');
    const r = await startWith(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LICENSE\.txt.*designation|designation.*LICENSE\.txt/);
  });
});
