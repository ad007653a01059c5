/** `decnet up`: the whole event plane in one command (see src/supervisor/up.ts). */
import type { Command } from 'commander';
import { ensureFirstAdmin } from '../runtime/index.js';
import { runUp, type UpBusMode } from '../supervisor/up.js';
import { CliExit, EXIT_USAGE } from './exit.js';
import { VERSION } from './version.js';
import { openCliRuntime, parsePort, untilSignal, withConfigFlag, withListenFlags, type ApiFlags } from './runtime-options.js';

const MODES: readonly UpBusMode[] = ['unix', 'memory', 'nats'];

export function registerUp(program: Command): void {
  const cmd = program
    .command('up')
    .description('run the event plane: bus, API and every worker, on embedded defaults (SQLite, host-local broker)')
    .option('--bus <mode>', 'unix (host-local broker, default), memory (everything in this process) or nats', 'unix');
  withListenFlags(withConfigFlag(cmd)).action(async (opts: ApiFlags & { bus: string }) => {
    const mode = opts.bus.toLowerCase() as UpBusMode;
    if (!MODES.includes(mode)) throw new CliExit(EXIT_USAGE, `--bus must be one of ${MODES.join(', ')}, got ${JSON.stringify(opts.bus)}`);
    const signal = untilSignal();
    const runtime = await openCliRuntime(opts, undefined, 'decnet');
    const print = (line: string): void => void process.stdout.write(`${line}\n`);
    try {
      const host = opts.host ?? runtime.config.api.host;
      const port = parsePort(opts.port, runtime.config.api.port);
      const admin = await ensureFirstAdmin(runtime.db, runtime.config.adminPassword);
      if (admin?.generatedPassword) {
        print(`First start: created user "${admin.username}" with password ${admin.generatedPassword}`);
        print('(shown once; you will be asked to change it at first login)');
      } else if (admin) {
        print(`First start: created user "${admin.username}" with the password from DECNET_ADMIN_PASSWORD`);
      }
      const onReady = (url: string): void => {
        if (admin) print(`Log in: curl -s -X POST ${url}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"${admin.username}","password":"…"}'`);
      };
      await runUp({ runtime, busMode: mode, host, port, signal, print, version: VERSION, onReady });
    } finally {
      await runtime.close();
    }
  });
}
