/**
 * `decnet ttp backfill --since TIME` (ttp.md §9.5): re-evaluate stored rows and journal
 * events through a fresh engine with the effective rules. Progress goes to standard error;
 * the last line is `inputs N, tags_new N, tags_existing N, linked N, elapsed_s S`
 * (`--json`: that as one object).
 */
import { Option, type Command } from 'commander';
import { getBus, type Bus } from '../bus/index.js';
import { buildIndex, enableBacktrackFallback, CatalogError, type CompiledRule } from '../ttp/index.js';
import { loadEffectiveRules, runBackfill, type BackfillResult, type BackfillSource } from '../ttp/worker/index.js';
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from './exit.js';
import { openCliRuntime, withConfigFlag } from './runtime-options.js';

interface BackfillFlags {
  since: string;
  until?: string;
  source: BackfillSource;
  rules?: string;
  dryRun?: boolean;
  publish?: boolean;
  json?: boolean;
  config?: string;
}

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO time or an age (`90m`, `12h`, `7d`) before `now`, as epoch ms. */
export function parseTimeFlag(flag: string, raw: string, now: number): number {
  const age = /^(\d+)([smhd])$/.exec(raw.trim());
  if (age) return now - Number(age[1]) * (UNITS[age[2] as string] as number);
  const t = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) throw new CliExit(EXIT_USAGE, `${flag} expects an ISO time (2026-05-01T00:00:00Z) or an age such as 7d, 12h, 90m; got ${JSON.stringify(raw)}`);
  return t;
}

function summary(r: BackfillResult): string {
  return `inputs ${r.inputs}, tags_new ${r.tags_new}, tags_existing ${r.tags_existing}, linked ${r.linked}, elapsed_s ${r.elapsed_s}`;
}

async function backfill(flags: BackfillFlags): Promise<void> {
  if (flags.dryRun === true && flags.publish === true) throw new CliExit(EXIT_USAGE, '--dry-run writes nothing, so it cannot --publish');
  enableBacktrackFallback();
  const runtime = await openCliRuntime(flags, undefined, 'decnet-ttp-backfill');
  const { config, clock, db } = runtime;
  let bus: Bus | null = null;
  try {
    const now = clock.now();
    const since = parseTimeFlag('--since', flags.since, now);
    const until = flags.until === undefined ? now : parseTimeFlag('--until', flags.until, now);
    if (until < since) throw new CliExit(EXIT_USAGE, '--until is before --since');
    let rules: CompiledRule[];
    try {
      rules = await loadEffectiveRules({ db, config: config.ttp, home: config.home, log: runtime.log, clock });
    } catch (err) {
      if (err instanceof CatalogError) throw new CliExit(EXIT_FAILURE, err.message);
      throw err;
    }
    if (flags.rules !== undefined) {
      const wanted = new Set(flags.rules.split(',').map((s) => s.trim()).filter(Boolean));
      const unknown = [...wanted].filter((id) => !rules.some((r) => r.def.id === id));
      if (unknown.length > 0) throw new CliExit(EXIT_USAGE, `--rules names no effective rule: ${unknown.join(', ')}`);
      rules = rules.filter((r) => wanted.has(r.def.id));
    }
    if (flags.publish === true) {
      bus = getBus({ name: 'decnet-ttp-backfill', env: { ...process.env, DECNET_BUS_SOCKET: config.bus.socketPath, DECNET_BUS_TYPE: config.bus.transport }, clock, log: runtime.log });
      await bus.connect();
    }
    const interactive = process.stderr.isTTY === true;
    const result = await runBackfill(db, bus, {
      since,
      until,
      source: flags.source,
      index: buildIndex(rules),
      batch: config.ttp.batch,
      dryRun: flags.dryRun === true,
      publish: flags.publish === true,
      clock,
      maxFieldChars: config.ttp.maxFieldChars,
      internalDeckyPrefix: config.analysis.internalDeckyPrefix,
      progress: interactive ? (r) => process.stderr.write(`\r${summary(r)}`) : undefined,
    });
    if (interactive) process.stderr.write('\n');
    process.stdout.write(`${flags.json === true ? JSON.stringify(result) : summary(result)}\n`);
  } finally {
    await bus?.close();
    await runtime.close();
  }
}

export function addBackfillCommand(ttp: Command): void {
  withConfigFlag(ttp.command('backfill'))
    .description('re-evaluate stored logs rows and journal events through the effective rules (idempotent; publishes nothing unless --publish)')
    .requiredOption('--since <time>', 'from this ISO time, or an age such as 7d')
    .option('--until <time>', 'to this ISO time or age (default: now)')
    .addOption(new Option('--source <source>', 'what to re-read').choices(['logs', 'journal', 'all']).default('all'))
    .option('--rules <ids>', 'only these rule ids, comma separated')
    .option('--dry-run', 'count what would be written, write nothing')
    .option('--publish', 'journal and publish the ttp.* events of new tags')
    .option('--json', 'print the summary as one JSON object')
    .action((flags: BackfillFlags) => backfill(flags));
}
