/**
 * The file tail over real files (eventplane.md §8.3): read to the end, resume from the
 * committed offset, partial lines, rotation, truncation, a missing file, a replaced file,
 * over-long lines and bad bytes. Waits are conditions with a safety limit, never timings.
 */
import { appendFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/bus/index.js';
import { MissingFileError, tailFile, type SourceBatcher } from '../../src/ingest/index.js';
import { until } from '../support/events.js';
import { harness, type Harness } from './support.js';

let h: Harness | undefined;
const stops: AbortController[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) s.abort();
  await new Promise((r) => setTimeout(r, 30));
  await h?.close();
  h = undefined;
});

const L = (n: number): string => `<134>1 2026-05-01T12:00:${String(n % 60).padStart(2, '0')}.000000Z decky-01 ssh - probe [relay@55555 src_ip="192.0.2.1" n="${n}"]\n`;

async function source(path: string): Promise<SourceBatcher> {
  if (!h) throw new Error('no harness');
  return h.pipeline().openSource({ id: `file:${path}`, kind: 'file', format: 'rfc5424', path, rowSource: `file:${path}` });
}

async function ns(): Promise<string[]> {
  return (await h!.db.repos.logs.readAfter(0, 10_000)).map((r) => r.fields.n ?? r.msg ?? '?');
}

function follow(b: SourceBatcher, path: string): { done: Promise<void>; stop: () => Promise<void> } {
  const ctl = new AbortController();
  stops.push(ctl);
  const done = tailFile({ batcher: b, path, follow: true, maxLine: 65_536, clock: systemClock, log: silentLogger, signal: ctl.signal, pollMs: 20 });
  return {
    done,
    stop: async () => {
      ctl.abort();
      await done;
    },
  };
}

const once = async (path: string): Promise<SourceBatcher> => {
  const b = await source(path);
  await tailFile({ batcher: b, path, follow: false, maxLine: 65_536, clock: systemClock, log: silentLogger, signal: new AbortController().signal });
  return b;
};

describe('file tail', () => {
  it('reads to the end (a final partial line included), then resumes from the committed offset', async () => {
    h = await harness();
    const path = join(h.home, 'a.log');
    writeFileSync(path, L(1) + L(2) + L(3).trimEnd());
    expect((await once(path)).stats.lines).toBe(3);
    expect(await ns()).toEqual(['1', '2', '3']);
    expect((await once(path)).stats.lines).toBe(0);
    appendFileSync(path, `\n${L(4)}${L(5)}`);
    const third = await once(path);
    expect(third.stats.lines).toBe(3); // the empty line after the old partial one, then 4 and 5
    expect(await ns()).toEqual(['1', '2', '3', '4', '5']);
    expect((await h.db.repos.ingestSources.get(`file:${path}`))?.offset).toBe(Buffer.byteLength(L(1) + L(2) + L(3) + L(4) + L(5)));
  });

  it('following, only complete lines are consumed: a partial line waits for its LF', async () => {
    h = await harness();
    const path = join(h.home, 'b.log');
    writeFileSync(path, L(1) + L(2).slice(0, 30));
    const b = await source(path);
    const t = follow(b, path);
    await until(async () => (await ns()).length === 1, 'the first line');
    await new Promise((r) => setTimeout(r, 60));
    expect(await ns()).toEqual(['1']);
    expect((await h.db.repos.ingestSources.get(`file:${path}`))?.offset).toBe(Buffer.byteLength(L(1)));
    appendFileSync(path, L(2).slice(30));
    await until(async () => (await ns()).length === 2, 'the completed line');
    await t.stop();
    expect(await ns()).toEqual(['1', '2']);
  });

  it('rotation: the old file is read to its end, then the new one from 0; nothing twice, nothing missed', async () => {
    h = await harness();
    const path = join(h.home, 'c.log');
    writeFileSync(path, L(1) + L(2));
    const b = await source(path);
    const t = follow(b, path);
    await until(async () => (await ns()).length === 2, 'the first lines');
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, L(3) + L(4).trimEnd()); // written to the old file after the rename, its last line partial
    writeFileSync(path, L(5) + L(6));
    await until(async () => (await ns()).length === 6, 'both files', 10_000);
    appendFileSync(path, L(7));
    await until(async () => (await ns()).length === 7, 'the new file growing');
    await t.stop();
    expect(await ns()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(await h.db.repos.ingestSources.get(`file:${path}`)).toMatchObject({ rotations: 1, offset: Buffer.byteLength(L(5) + L(6) + L(7)) });
  });

  it('truncation: restart at 0, counted', async () => {
    h = await harness();
    const path = join(h.home, 'd.log');
    writeFileSync(path, L(1) + L(2) + L(3));
    const b = await source(path);
    const t = follow(b, path);
    await until(async () => (await ns()).length === 3, 'the first lines');
    truncateSync(path, 0);
    appendFileSync(path, L(9));
    await until(async () => (await ns()).length === 4, 'the line after the truncation');
    await t.stop();
    expect(await ns()).toEqual(['1', '2', '3', '9']);
    expect(await h.db.repos.ingestSources.get(`file:${path}`)).toMatchObject({ truncations: 1, offset: Buffer.byteLength(L(9)) });
  });

  it('a missing file is waited for when following, and an error without --follow', async () => {
    h = await harness();
    const path = join(h.home, 'later.log');
    await expect(once(path)).rejects.toBeInstanceOf(MissingFileError);
    const b = await source(path);
    const t = follow(b, path);
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(path, L(1));
    await until(async () => (await ns()).length === 1, 'the file to appear');
    await t.stop();
  });

  it('after a restart: a file replaced at the path is read from 0, a truncated one too', async () => {
    h = await harness();
    const path = join(h.home, 'e.log');
    writeFileSync(path, L(1) + L(2));
    await once(path);
    unlinkSync(path);
    writeFileSync(`${path}.tmp`, L(3));
    renameSync(`${path}.tmp`, path); // a new inode
    expect((await once(path)).stats.lines).toBe(1);
    truncateSync(path, 0);
    appendFileSync(path, L(4));
    expect((await once(path)).stats.lines).toBe(1);
    expect(await ns()).toEqual(['1', '2', '3', '4']);
    expect(await h.db.repos.ingestSources.get(`file:${path}`)).toMatchObject({ rotations: 1, truncations: 1 });
  });

  it('a changed first KiB on the same inode after a restart means a new file', async () => {
    h = await harness();
    const path = join(h.home, 'f.log');
    writeFileSync(path, L(1) + L(2));
    await once(path);
    // rewrite in place (same inode) with different content at least as long
    writeFileSync(path, L(7) + L(8) + L(9));
    expect((await once(path)).stats.lines).toBe(3);
    expect(await ns()).toEqual(['1', '2', '7', '8', '9']);
  });

  it('an over-long line is an unparsed too_long row (first 8 KiB kept) and reading goes on after its LF', async () => {
    h = await harness();
    const path = join(h.home, 'g.log');
    const b = await source(path).catch(() => undefined);
    expect(b).toBeDefined();
    writeFileSync(path, `${L(1)}<13>1 - h a - m - ${'x'.repeat(200_000)}\n${L(2)}`);
    const done = await once(path);
    expect(done.stats).toMatchObject({ lines: 3, parsed: 2, unparsed: 1 });
    const [u] = await h.db.repos.logs.listUnparsed({ limit: 5 });
    expect(u?.reason).toBe('too_long');
    expect(u?.raw.length).toBe(8 * 1024);
    expect(await ns()).toEqual(['1', '2']);
  });

  it('bad bytes: invalid UTF-8 becomes U+FFFD and is flagged; NUL becomes U+FFFD; CRLF loses its CR', async () => {
    h = await harness();
    const path = join(h.home, 'h.log');
    writeFileSync(path, Buffer.concat([Buffer.from('<13>1 - h a - m - bad '), Buffer.from([0xff, 0xfe]), Buffer.from('\n<13>1 - h a - m - nul\0here\r\n')]));
    await once(path);
    const rows = await h.db.repos.logs.readAfter(0, 10);
    expect(rows.map((r) => [r.msg, r.flags])).toEqual([
      ['bad \ufffd\ufffd', ['nil_timestamp', 'invalid_utf8']],
      ['nul\ufffdhere', ['nil_timestamp']],
    ]);
  });
});
