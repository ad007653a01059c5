/** `decnet api`: the HTTP API alone, against the shared bus and database (no supervisor: start answers 503). */
import { Option, type Command } from 'commander';
import { getBus } from '../bus/index.js';
import { renderApiMarkdown, runApi } from '../api/index.js';
import { openCliRuntime, parsePort, untilSignal, withConfigFlag, withListenFlags, type ApiFlags } from './runtime-options.js';

export function registerApi(program: Command): void {
  const cmd = program.command('api').description('run the HTTP API alone, against the bus and database of the environment');
  cmd.addOption(new Option('--markdown', 'print docs/api.md (generated from the routes) and exit').hideHelp());
  withListenFlags(withConfigFlag(cmd)).action(async (opts: ApiFlags & { markdown?: boolean }) => {
    if (opts.markdown) {
      process.stdout.write(renderApiMarkdown());
      return;
    }
    const signal = untilSignal();
    const runtime = await openCliRuntime(opts, undefined, 'decnet-api');
    const { config, clock, log } = runtime;
    const bus = getBus({ name: 'decnet-api', env: { ...process.env, DECNET_BUS_SOCKET: config.bus.socketPath, DECNET_BUS_TYPE: config.bus.transport }, clock, log });
    try {
      await runApi({
        config,
        db: runtime.db,
        bus,
        clock,
        log,
        jwtKey: runtime.jwtKey,
        signal,
        host: opts.host ?? config.api.host,
        port: parsePort(opts.port, config.api.port),
        onListening: (url) => void process.stdout.write(`decnet api: listening on ${url}/api/v1\n`),
      });
    } finally {
      await bus.close();
      await runtime.close();
    }
  });
}
