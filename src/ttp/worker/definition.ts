/**
 * `decnet ttp`: the tagging worker (ttp.md §9.1), in the supervisor's table so `decnet up`
 * runs it. `--rules-dir` overrides DECNET_TTP_RULES_DIR (`off` disables the filesystem
 * store); `--no-watch` keeps only its rescan. The rule tools (`lint`, `test`, `eval`) and
 * `backfill` are subcommands the CLI hangs off this command.
 */
import { resolve } from 'node:path';
import type { WorkerDefinition } from '../../supervisor/types.js';
import { emptyTtpCounters } from './counters.js';
import { runTtp } from './run.js';

/** The counters of the worker this process runs. */
const processCounters = emptyTtpCounters();

function rulesDirOf(flag: unknown, fallback: string | null): string | null {
  if (typeof flag !== 'string') return fallback;
  return flag.trim() === 'off' ? null : resolve(flag);
}

export const ttpWorker: WorkerDefinition = {
  name: 'ttp',
  description: 'tag attacker activity with MITRE ATT&CK techniques; subcommands lint, test, eval and backfill work on rules and stored data',
  options: (cmd) => cmd.option('--rules-dir <path>', 'the watched rule directory (default DECNET_TTP_RULES_DIR, `off` disables it)').option('--no-watch', 'do not watch the rule directory; rely on its rescan'),
  counters: () => ({ ...processCounters }),
  async run(deps, opts) {
    const config = { ...deps.config, ttp: { ...deps.config.ttp, rulesDir: rulesDirOf(opts.rulesDir, deps.config.ttp.rulesDir) } };
    await runTtp({ ...deps, config, watch: opts.watch !== false, counters: processCounters });
  },
};
