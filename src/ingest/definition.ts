/**
 * `decnet ingest`: one command, two uses (CORRECTIONS #7.14). Without `--file` it is the
 * worker (`decnet up` runs it so), tailing and listening as configured; with `--file` it is
 * the one-off import of the issue, which prints `lines, parsed, unparsed, events` and does
 * not beat as the worker (a `decnet up` may be running beside it).
 */
import { Option } from 'commander';
import { INGEST_FORMATS, type IngestFormat } from '../config/index.js';
import type { WorkerDefinition } from '../supervisor/types.js';
import { formatSummary, ingestFile } from './one-shot.js';
import { ingestCounters, runIngest } from './worker.js';

export const ingestWorker: WorkerDefinition = {
  name: 'ingest',
  description: 'ingest honeypot logs: the configured sources (DECNET_INGEST_FILES, DECNET_INGEST_UDP, DECNET_INGEST_TCP), or one file with --file',
  options: (cmd) =>
    cmd
      .option('--file <path>', 'ingest this file and exit (with --follow: keep tailing it)')
      .addOption(new Option('--format <format>', 'the file format; auto decides per line').choices(INGEST_FORMATS).default('auto'))
      .option('--follow', 'keep reading as the file grows (rotation and truncation handled) until Ctrl-C')
      .option('--from-start', 're-read the file from its start under a fresh source id')
      .option('--decky <name>', 'the decky of Cowrie and OpenCanary rows (default: their sensor / node_id)')
      .option('--json', 'print the summary as one JSON line'),
  runsAsWorker: (opts) => opts.file === undefined,
  counters: ingestCounters,
  async run(deps, opts) {
    if (typeof opts.file !== 'string') {
      await runIngest(deps);
      return;
    }
    const summary = await ingestFile(deps, {
      file: opts.file,
      format: opts.format as IngestFormat,
      follow: opts.follow === true,
      fromStart: opts.fromStart === true,
      decky: typeof opts.decky === 'string' ? opts.decky : undefined,
    });
    process.stdout.write(`${opts.json === true ? JSON.stringify(summary) : formatSummary(summary)}\n`);
  },
};
