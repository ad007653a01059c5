/**
 * `decnet ingest` as a user runs it (the built CLI, CORRECTIONS #7.14): the summary, a
 * second run that resumes (`0 new lines`), `--from-start`, `--json`, bad input; and the
 * kill-and-restart test: SIGKILL mid-file with `--follow`, restart, no duplicates, no gaps.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { until } from '../support/events.js';
import { cleanUpAfterEach, ensureBuilt, REPO, spawnCli, type Spawned } from '../support/cli.js';

beforeAll(() => ensureBuilt());

const { running, homes, dbs } = cleanUpAfterEach();

function env(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'dn-ingest-cli-'));
  homes.push(home);
  return { DECNET_HOME: home, DECNET_BUS_TYPE: 'null', DECNET_LOG_LEVEL: 'warn', DECNET_BUS_SOCKET: join(home, 'bus.sock'), ...extra };
}

async function run(args: string[], e: Record<string, string>): Promise<Spawned & { code: number | string }> {
  const s = spawnCli(['ingest', ...args], e);
  running.push(s);
  const code = await s.exited;
  return Object.assign(s, { code });
}

const COWRIE = join(REPO, 'examples', 'cowrie.json');

describe('decnet ingest --file', () => {
  it('prints the summary, resumes on a second run, re-reads with --from-start, and speaks JSON', async () => {
    const e = env();
    const first = await run(['--file', COWRIE, '--format', 'cowrie'], e);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(`cowrie:${COWRIE}: 19 new lines: 19 parsed, 0 unparsed, 0 filtered, 9 events`);
    const second = await run(['--file', COWRIE, '--format', 'cowrie'], e);
    expect(second.stdout.trim()).toBe(`cowrie:${COWRIE}: 0 new lines`);
    const fresh = await run(['--file', COWRIE, '--format', 'cowrie', '--from-start', '--json'], e);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ source: `cowrie:${COWRIE}#2`, lines: 19, parsed: 19, unparsed: 0, events: 9 });
    const auto = await run(['--file', join(REPO, 'examples', 'rfc5424.log')], e);
    expect(auto.stdout).toMatch(/rfc5424\.log: 11 new lines: 9 parsed, 0 unparsed, 2 filtered, 2 events/);
  });

  it('a missing file fails with the path; a bad format is a usage error; the event log is refused', async () => {
    const e = env();
    const missing = await run(['--file', join(e.DECNET_HOME as string, 'nope.log')], e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.log: no such file/);
    expect((await run(['--file', COWRIE, '--format', 'syslog'], e)).code).toBe(2);
    const own = join(e.DECNET_HOME as string, 'logs', 'decnet.log');
    const refused = await run(['--file', own], e);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/DECNET's own event log/);
  });
});

describe('kill -9 mid-file, then restart', () => {
  it('no duplicates and no gaps', async () => {
    const e = env({ DECNET_BATCH_SIZE: '50' });
    const path = join(e.DECNET_HOME as string, 'big.log');
    const TOTAL = 40_000;
    const line = (n: number): string => `<134>1 2026-05-01T12:00:00.000000Z decky-01 ssh - probe [relay@55555 src_ip="192.0.2.${(n % 250) + 1}" n="${n}"] line ${n}\n`;
    const chunk = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => line(from + i)).join('');
    writeFileSync(path, chunk(0, TOTAL / 2));
    const db = await openDatabase({ url: `sqlite:${join(e.DECNET_HOME as string, 'decnet.db')}`, home: e.DECNET_HOME as string });
    dbs.push(db);
    const count = async (): Promise<number> => Number((await sql<{ n: number }>`select count(*) as n from logs`.execute(db.kysely)).rows[0]?.n ?? 0);

    for (let round = 0; round < 2; round++) {
      const child = spawnCli(['ingest', '--file', path, '--format', 'rfc5424', '--follow'], e);
      running.push(child);
      const before = await count();
      await until(async () => (await count()) > before, 'a committed batch', 30_000);
      child.child.kill('SIGKILL');
      expect(await child.exited).toBe('SIGKILL');
      if (round === 0) appendFileSync(path, chunk(TOTAL / 2, TOTAL)); // written while ingest is down
    }
    expect(await count()).toBeLessThan(TOTAL);

    const last = spawnCli(['ingest', '--file', path, '--format', 'rfc5424', '--follow'], e);
    running.push(last);
    await until(async () => (await count()) === TOTAL, 'every line', 60_000);
    last.child.kill('SIGINT');
    expect(await last.exited).toBe(0);
    const { rows } = await sql<{ n: string; c: number }>`select json_extract(fields, '$.n') as n, count(*) as c from logs group by n having count(*) > 1`.execute(db.kysely);
    expect(rows).toEqual([]);
    const { rows: range } = await sql<{ lo: number; hi: number; distinct_n: number }>`select min(cast(json_extract(fields, '$.n') as integer)) as lo, max(cast(json_extract(fields, '$.n') as integer)) as hi, count(distinct json_extract(fields, '$.n')) as distinct_n from logs`.execute(db.kysely);
    expect(range[0]).toEqual({ lo: 0, hi: TOTAL - 1, distinct_n: TOTAL });
    expect(await db.repos.ingestSources.get(`file:${path}`)).toMatchObject({ lines: TOTAL, parsed: TOTAL });
  }, 120_000);
});
