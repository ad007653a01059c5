/** The ATT&CK catalogue (ttp.md §10, CORRECTIONS #9.8): pins fail closed, resolution, names, groups. */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATTACK_NOTICE, ATTACK_VERSION, CatalogError, loadCatalog } from '../../src/ttp/index.js';
import { BUNDLE_SHA256, LICENSE_SHA256, readCatalog } from '../../src/ttp/catalog/index.js';
import { attackDataDir } from '../../src/ttp/paths.js';

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
const DESIGNATION = '© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.';

describe('shipped data and pins', () => {
  it('ships the bundle and MITRE’s licence unchanged', () => {
    expect(sha(join(attackDataDir(), 'enterprise-attack-18.1.json'))).toBe('537a8abea09aeb294bec4ea53b40063340d87f117e047cabc193e2c16c18f8a4');
    expect(sha(join(attackDataDir(), 'LICENSE.txt'))).toBe('0019296a8f089883b36484dc92cb07ea779caabc7a950d7798366015f57a5bf7');
    expect(BUNDLE_SHA256).toBe('537a8abea09aeb294bec4ea53b40063340d87f117e047cabc193e2c16c18f8a4');
    expect(LICENSE_SHA256).toBe('0019296a8f089883b36484dc92cb07ea779caabc7a950d7798366015f57a5bf7');
  });

  it('carries MITRE’s designation word for word', () => {
    expect(ATTACK_NOTICE).toBe(DESIGNATION);
    expect(readFileSync(join(attackDataDir(), 'LICENSE.txt'), 'utf8')).toContain(`"${DESIGNATION}"`);
    expect(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'rules.md'), 'utf8')).toContain(DESIGNATION);
    const c = loadCatalog();
    expect(c.notice).toBe(DESIGNATION);
    expect(c.version).toBe(ATTACK_VERSION);
    expect(c.sha256).toBe(BUNDLE_SHA256);
  });

  function copyData(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ttp-attack-'));
    copyFileSync(join(attackDataDir(), 'LICENSE.txt'), join(dir, 'LICENSE.txt'));
    copyFileSync(join(attackDataDir(), 'enterprise-attack-18.1.json'), join(dir, 'enterprise-attack-18.1.json'));
    return dir;
  }

  it('fails closed on an altered bundle, naming the file', () => {
    const dir = copyData();
    const file = join(dir, 'enterprise-attack-18.1.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Credential Access', 'Credential Axxess'));
    expect(() => readCatalog(file, true)).toThrow(CatalogError);
    try {
      readCatalog(file, true);
    } catch (err) {
      expect((err as CatalogError).file).toBe(file);
    }
  });

  it('fails closed without the licence, or with an altered one', () => {
    const dir = copyData();
    const file = join(dir, 'enterprise-attack-18.1.json');
    writeFileSync(join(dir, 'LICENSE.txt'), 'no licence here');
    expect(() => readCatalog(file, true)).toThrow(CatalogError);
    writeFileSync(join(dir, 'LICENSE.txt'), `${readFileSync(join(attackDataDir(), 'LICENSE.txt'), 'utf8')}\nextra`);
    expect(() => readCatalog(file, true)).toThrow(/altered/);
  });

  it('an alternative bundle (DECNET_ATTACK_BUNDLE) skips the hash with a warning and reads its version from the name', () => {
    const dir = copyData();
    const alt = join(dir, 'enterprise-attack-18.2.json');
    copyFileSync(join(dir, 'enterprise-attack-18.1.json'), alt);
    const warnings: string[] = [];
    const c = loadCatalog({ env: { DECNET_ATTACK_BUNDLE: alt }, warn: (m) => warnings.push(m) });
    expect(c.version).toBe('18.2');
    expect(c.sha256).toBeNull();
    expect(warnings).toHaveLength(1);
    const badName = join(dir, 'attack.json');
    copyFileSync(alt, badName);
    expect(() => loadCatalog({ bundle: badName })).toThrow(CatalogError);
  });
});

describe('resolution', () => {
  const c = loadCatalog();

  it('revoked techniques name their replacement', () => {
    const t = c.technique('T1086');
    expect(t?.revoked).toBe(true);
    expect(t?.replaced_by).toBe('T1059.001');
  });

  it('deprecated techniques are retired without replacement', () => {
    const t = c.technique('T1064');
    expect(t?.deprecated).toBe(true);
    expect(t?.revoked).toBe(false);
    expect(t?.replaced_by).toBeNull();
  });

  it('sub-techniques have a parent, a display name and a URL', () => {
    const t = c.technique('T1003.008');
    expect(t).toMatchObject({ is_subtechnique: true, parent_id: 'T1003', name: '/etc/passwd and /etc/shadow', display_name: 'OS Credential Dumping: /etc/passwd and /etc/shadow', url: 'https://attack.mitre.org/techniques/T1003/008', tactic_ids: ['TA0006'] });
    expect(t?.platforms).toContain('Linux');
    expect(c.technique('T1110')?.display_name).toBe('Brute Force');
  });

  it('tactics resolve by id and short name, in matrix order', () => {
    const order = c.tactics().map((t) => t.id);
    expect(order).toEqual(['TA0043', 'TA0042', 'TA0001', 'TA0002', 'TA0003', 'TA0004', 'TA0005', 'TA0006', 'TA0007', 'TA0008', 'TA0009', 'TA0011', 'TA0010', 'TA0040']);
    expect(c.tactic('credential-access')?.id).toBe('TA0006');
    expect(c.tactic('TA0010')?.name).toBe('Exfiltration');
    expect(c.technique('T1029')?.tactic_ids).toEqual(['TA0010']);
  });

  it('groups of a technique: direct users only, sorted by G id', () => {
    expect(c.groupsOf('T1098.004').map((g) => `${g.id} ${g.name}`)).toEqual(['G0139 TeamTNT', 'G1006 Earth Lusca', 'G1045 Salt Typhoon']);
  });

  it('every non-revoked sub-technique’s parent is its id prefix', () => {
    for (const t of c.techniques()) if (t.is_subtechnique && !t.revoked) expect(t.id.startsWith(`${t.parent_id}.`), t.id).toBe(true);
  });
});
