/**
 * `npm run bench:analysis` (analysis.md §10): synthetic rows written the way ingest
 * writes them, then `correlate` passes run in process, on SQLite and, when it answers,
 * PostgreSQL (`DECNET_BENCH_DATABASE_URL`, else `DECNET_TEST_DATABASE_URL`, else the
 * local default; a schema of its own, dropped afterwards).
 *
 * - `correlate.fold`: 10,000 IPs over 50 deckies; log rows/s folded (per-batch p50/p99),
 *   on an empty database and again after a pre-fill has been folded (the ratio).
 *   `--prefill N` sets the pre-fill (default 48,000; §10 asks 2,000,000, a run of minutes).
 * - `correlate.reuse`: credential rows/s through the reuse correlator, ingested and folded
 *   in turn 500 rows at a time as live. `shape: sweep`: each secret comes back on another
 *   decky, so nearly every row grows a finding (`findings` events), with the latency from
 *   the commit of a second target's credential (its `credential.captured`) to
 *   `credential.reuse.detected` with the worker running on the memory bus. `shape: wide`:
 *   ten secrets whose findings grow to hundreds of attackers.
 *
 * Prints one JSON line `{"bench":"analysis","results":[…]}`; `--quick` stays under 15 s.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MemoryBus, MemoryHub, silentLogger, systemClock, topics } from '../src/bus/index.js';
import { loadConfig } from '../src/config/index.js';
import { runCorrelate, runPass } from '../src/correlate/index.js';
import { openDatabase, type Db, type NewLogRow } from '../src/db/index.js';
import { percentile, progress, readFlags, report, round } from './harness.js';

const IPS = 10_000;
const DECKIES = 50;
const SERVICES = ['ssh', 'http', 'ftp', 'smtp', 'mysql', 'telnet', 'rdp', 'smb'];
const EVENTS = ['connect', 'login_attempt', 'command', 'request', 'client_version', 'disconnect'];
const T0 = Date.UTC(2026, 4, 1);

const settings = loadConfig({ env: { DECNET_HOME: '/nonexistent-decnet-home' } }).analysis;

interface Target {
  readonly dialect: 'sqlite' | 'postgres';
  open(): Promise<Db>;
  dispose(): Promise<void>;
}

function ipOf(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

/** Row `i` of the synthetic stream: IPs round-robin-ish, deckies and services spread. */
function row(i: number): NewLogRow {
  const ip = (i * 7919) % IPS;
  const ts = iso(T0 + i * 10);
  const type = EVENTS[i % EVENTS.length] as string;
  return {
    timestamp: ts,
    receivedAt: ts,
    decky: `decky-${String((ip + Math.floor(i / IPS)) % DECKIES).padStart(2, '0')}`,
    service: SERVICES[(ip + i) % SERVICES.length] as string,
    eventType: type,
    attackerIp: ipOf(ip),
    severity: 6,
    facility: 16,
    procid: null,
    fields: type === 'command' ? { command: 'uname -a' } : {},
    sd: null,
    msg: null,
    rawLine: 'bench',
    source: 'file:/bench.log',
    flags: [],
  };
}

async function insertLogs(db: Db, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, from + count - i) }, (_, k) => row(i + k));
    await db.write((tx) => db.repos.logs.insertMany(tx, rows), { locks: ['logs'] });
  }
}

/** Credential rows ingest commits between two reuse passes (one correlate batch). */
const REUSE_CHUNK = 500;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Credentials as ingest writes them: each with its login row, in one transaction per chunk. */
async function insertCredentials(db: Db, from: number, count: number, secrets: number): Promise<void> {
  for (let i = from; i < from + count; i += 500) {
    const n = Math.min(500, from + count - i);
    await db.write(
      async (tx) => {
        const logs = Array.from({ length: n }, (_, k) => {
          const r = row(i + k);
          // each secret comes back every `secrets` rows on the next decky: reuse findings that grow
          const decky = `decky-${String(Math.floor((i + k) / secrets) % DECKIES).padStart(2, '0')}`;
          return { ...r, decky, eventType: 'login_attempt', fields: { principal: 'root', secret_kind: 'plaintext', secret_sha256: sha(`pw${(i + k) % secrets}`) } };
        });
        const ids = await db.repos.logs.insertMany(tx, logs);
        for (let k = 0; k < n; k++) {
          const r = logs[k] as NewLogRow;
          await db.repos.credentials.upsert(tx, { attackerIp: r.attackerIp as string, decky: r.decky as string, service: r.service as string, principal: 'root', secretKind: 'plaintext', secretSha256: r.fields.secret_sha256 as string, secretPrintable: null, secretB64: null, seenAt: r.timestamp, logId: ids[k] as number });
        }
      },
      { locks: ['logs', 'credentials'] },
    );
  }
}

async function fold(db: Db): Promise<{ rows: number; seconds: number; cpuSeconds: number; batches: number[] }> {
  const batches: number[] = [];
  let rows = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await runPass({ db, bus: null, settings, log: silentLogger, clock: systemClock, onBatch: (input, n, ms) => { if (input === 'logs') { rows += n; batches.push(ms); } } });
  const used = process.cpuUsage(cpu);
  // this process's CPU (user + system): steadier than wall time on shared cores, but blind to PostgreSQL's own work
  return { rows, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, batches };
}

async function foldScenario(t: Target, measured: number, prefill: number): Promise<Record<string, unknown>[]> {
  const db = await t.open();
  try {
    progress(`[analysis] ${t.dialect} correlate.fold: ${measured} rows on an empty database`);
    await insertLogs(db, 0, measured);
    const empty = await fold(db);
    progress(`[analysis] ${t.dialect} correlate.fold: pre-filling ${prefill} rows`);
    await insertLogs(db, measured, prefill);
    await fold(db);
    await insertLogs(db, measured + prefill, measured);
    const full = await fold(db);
    const rate = (f: typeof empty): number => f.rows / f.seconds;
    const out = (f: typeof empty, prefolded: number): Record<string, unknown> => ({ worker: 'correlate', scenario: 'fold', dialect: t.dialect, backend: null, items: f.rows, items_per_s: Math.round(rate(f)), items_per_cpu_s: Math.round(f.rows / f.cpuSeconds), p50_ms: round(percentile(f.batches, 50)), p99_ms: round(percentile(f.batches, 99)), batch: settings.batch, ips: IPS, deckies: DECKIES, prefolded_rows: prefolded });
    return [out(empty, 0), { ...out(full, measured + prefill), ratio_to_empty: round(rate(full) / rate(empty)) }];
  } finally {
    await db.close();
  }
}

interface ReuseRun {
  readonly rows: number;
  readonly findings: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly batches: number[];
}

/**
 * `count` credential rows over `secrets` secrets, ingested and folded in turn as live:
 * each chunk ingest commits is folded before the next arrives, so findings grow batch
 * after batch.
 */
async function foldInTurn(db: Db, count: number, secrets: number): Promise<ReuseRun> {
  const batches: number[] = [];
  let rows = 0;
  let findings = 0;
  let cpuSeconds = 0;
  for (let from = 0; from < count; from += REUSE_CHUNK) {
    await insertCredentials(db, from, Math.min(REUSE_CHUNK, count - from), secrets);
    // the CPU between two batch reports is the later batch's (steadier than wall time on shared cores)
    let cpu = process.cpuUsage();
    const onBatch = (input: string, n: number, ms: number): void => {
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      if (input !== 'credentials') return;
      rows += n;
      batches.push(ms);
      cpuSeconds += (used.user + used.system) / 1e6;
    };
    findings += (await runPass({ db, bus: null, settings, log: silentLogger, clock: systemClock, onBatch })).findings;
  }
  return { rows, findings, seconds: batches.reduce((x, y) => x + y, 0) / 1000, cpuSeconds, batches };
}

function reuseResult(t: Target, shape: 'sweep' | 'wide', r: ReuseRun): Record<string, unknown> {
  return { worker: 'correlate', scenario: 'reuse', dialect: t.dialect, backend: null, shape, items: r.rows, items_per_s: Math.round(r.rows / r.seconds), items_per_cpu_s: Math.round(r.rows / r.cpuSeconds), findings: r.findings, p50_ms: round(percentile(r.batches, 50)), p99_ms: round(percentile(r.batches, 99)) };
}

/**
 * `wide`: ten secrets, each row from a new address, so ten findings grow to hundreds of
 * attackers (a password everyone tries): a batch should cost what it brings, not what
 * the findings already hold.
 */
async function wideReuseScenario(t: Target, count: number): Promise<Record<string, unknown>> {
  const db = await t.open();
  try {
    progress(`[analysis] ${t.dialect} correlate.reuse (wide): ${count} credential rows over 10 secrets`);
    return reuseResult(t, 'wide', await foldInTurn(db, count, 10));
  } finally {
    await db.close();
  }
}

async function reuseScenario(t: Target, count: number, samples: number): Promise<Record<string, unknown>> {
  const db = await t.open();
  try {
    progress(`[analysis] ${t.dialect} correlate.reuse: ${count} credential rows`);
    const run = await foldInTurn(db, count, Math.max(1, Math.floor(count / 10)));

    progress(`[analysis] ${t.dialect} correlate.reuse: ${samples} findings through the running worker`);
    const hub = new MemoryHub();
    const bus = new MemoryBus({ name: 'bench-correlate', hub, clock: systemClock });
    const producer = new MemoryBus({ name: 'bench-ingest', hub, clock: systemClock });
    const stop = new AbortController();
    const worker = runCorrelate({ db, bus, settings, log: silentLogger, clock: systemClock, signal: stop.signal });
    const sub = producer.subscribe(topics.credential('reuse.detected'));
    const latencies: number[] = [];
    const it = sub[Symbol.asyncIterator]();
    for (let s = 0; s < samples; s++) {
      const secret = `fresh-${s}`;
      await insertOne(db, secret, 'decky-01', 1_000_000 + 2 * s);
      const started = performance.now();
      await insertOne(db, secret, 'decky-02', 1_000_001 + 2 * s);
      await producer.publish(topics.credential('captured'), { secret_sha256: sha(secret), secret_kind: 'plaintext', attacker_ip: '192.0.2.1', decky: 'decky-02', service: 'ssh' });
      const next = await it.next();
      if (next.done === true) break;
      latencies.push(performance.now() - started);
    }
    stop.abort();
    await worker;
    await sub.close();
    await bus.close();
    await producer.close();
    return { ...reuseResult(t, 'sweep', run), finding_p50_ms: round(percentile(latencies, 50)), finding_p99_ms: round(percentile(latencies, 99)), finding_samples: latencies.length };
  } finally {
    await db.close();
  }
}

async function insertOne(db: Db, secret: string, decky: string, i: number): Promise<void> {
  const r = { ...row(i), attackerIp: '192.0.2.1', decky, service: 'ssh', eventType: 'login_attempt', fields: { principal: 'root', secret_kind: 'plaintext', secret_sha256: sha(secret) } };
  await db.write(
    async (tx) => {
      const [id] = await db.repos.logs.insertMany(tx, [r]);
      await db.repos.credentials.upsert(tx, { attackerIp: r.attackerIp, decky, service: 'ssh', principal: 'root', secretKind: 'plaintext', secretSha256: sha(secret), secretPrintable: null, secretB64: null, seenAt: r.timestamp, logId: id as number });
    },
    { locks: ['logs', 'credentials'] },
  );
}

function sqliteTarget(): Target {
  const dirs: string[] = [];
  return {
    dialect: 'sqlite',
    open: () => {
      const home = mkdtempSync(join(tmpdir(), 'dn-bench-analysis-'));
      dirs.push(home);
      return openDatabase({ home, url: `sqlite:${join(home, 'bench.db')}`, log: silentLogger });
    },
    dispose: async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}

async function postgresTarget(): Promise<Target | string> {
  const url = process.env.DECNET_BENCH_DATABASE_URL ?? process.env.DECNET_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    return `PostgreSQL at ${url} not reachable (${err instanceof Error ? err.message : String(err)})`;
  }
  const schemas: string[] = [];
  return {
    dialect: 'postgres',
    open: () => {
      const schema = `decnet_bench_${process.pid}_${schemas.length}`;
      schemas.push(schema);
      return openDatabase({ url, home: tmpdir(), schema, log: silentLogger });
    },
    dispose: async () => {
      for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
      await client.end();
    },
  };
}

function flagValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const { quick } = readFlags();
  // `--only fold|reuse` and `--dialect sqlite|postgres` narrow the run (profiling one scenario)
  const only = flagValue('--only');
  const dialect = flagValue('--dialect');
  // `--prefill N`: fold N rows before the second measurement (analysis.md asks 2,000,000: minutes, not the default's seconds)
  const prefillFlag = flagValue('--prefill');
  const prefill = prefillFlag === undefined ? undefined : Number(prefillFlag);
  if (prefill !== undefined && (!Number.isInteger(prefill) || prefill < 0)) throw new Error(`--prefill must be a whole number of rows, got ${JSON.stringify(prefillFlag)}`);
  const results: Record<string, unknown>[] = [];
  const targets: Target[] = dialect === 'postgres' ? [] : [sqliteTarget()];
  const pgTarget = dialect === 'sqlite' ? 'not asked for (--dialect sqlite)' : await postgresTarget();
  if (typeof pgTarget === 'string') progress(`[analysis] skipping PostgreSQL: ${pgTarget}`);
  else targets.push(pgTarget);
  for (const t of targets) {
    // sized for the limits (60 s, --quick 15 s) on 2 shared cores; PostgreSQL folds slower
    const scale = t.dialect === 'sqlite' ? 1 : 0.25;
    const n = (x: number): number => Math.round((quick ? x / 6 : x) * scale);
    try {
      if (only !== 'reuse') results.push(...(await foldScenario(t, n(24_000), prefill ?? n(48_000))));
      if (only !== 'fold') results.push(await reuseScenario(t, n(8_000), quick ? 10 : 30), await wideReuseScenario(t, n(8_000)));
    } finally {
      await t.dispose();
    }
  }
  report('analysis', results, { quick, note: 'fold ratio_to_empty is measured after prefolded_rows (analysis.md §10 asks 2 M; sized to the time limit)' });
}

await main();
