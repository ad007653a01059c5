/**
 * `decnet user add|list|passwd|delete`: manage API users in the database of
 * the environment. Passwords are prompted twice on a terminal, or read from
 * stdin with --password-stdin; never taken as an argument (shell history).
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { hashPassword, passwordProblem } from '../api/index.js';
import type { Runtime } from '../runtime/index.js';
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from './exit.js';
import { openCliRuntime, withConfigFlag } from './runtime-options.js';

const USERNAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

async function readLine(prompt: string, hidden: boolean): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  if (hidden && process.stdin.isTTY) {
    // mute the echo of typed characters
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    out._writeToOutput = (s: string) => {
      if (s.startsWith(prompt)) process.stderr.write(prompt);
    };
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.question(prompt, resolve);
      rl.once('close', () => reject(new CliExit(EXIT_USAGE, 'no password given (stdin closed)')));
    });
  } finally {
    if (hidden && process.stdin.isTTY) process.stderr.write('\n');
    rl.close();
  }
}

async function askPassword(fromStdin: boolean): Promise<string> {
  let password: string;
  if (fromStdin || !process.stdin.isTTY) {
    password = (await readLine('', false)).replace(/\r$/, '');
  } else {
    password = await readLine('Password: ', true);
    const again = await readLine('Again: ', true);
    if (password !== again) throw new CliExit(EXIT_USAGE, 'the two passwords differ');
  }
  const problem = passwordProblem(password);
  if (problem) throw new CliExit(EXIT_USAGE, `password ${problem}`);
  return password;
}

async function withRuntime(flags: { config?: string }, fn: (rt: Runtime) => Promise<void>): Promise<void> {
  const runtime = await openCliRuntime(flags, (c) => ({ ...c, logLevel: c.logLevel === 'info' ? 'warn' : c.logLevel }));
  try {
    await fn(runtime);
  } finally {
    await runtime.close();
  }
}

function checkName(name: string): string {
  if (!USERNAME_RE.test(name)) throw new CliExit(EXIT_USAGE, `username must be 1–64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(name)}`);
  return name;
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('manage API users (admin and viewer roles)');

  withConfigFlag(user.command('add').description('add a user (viewer unless --admin)').argument('<name>'))
    .option('--admin', 'give the admin role')
    .option('--password-stdin', 'read the password from stdin instead of prompting')
    .action(async (name: string, opts: { admin?: boolean; passwordStdin?: boolean; config?: string }) => {
      checkName(name);
      const password = await askPassword(opts.passwordStdin === true);
      await withRuntime(opts, async ({ db }) => {
        try {
          await db.repos.users.create({ username: name, passwordHash: await hashPassword(password), role: opts.admin ? 'admin' : 'viewer', mustChangePassword: false });
        } catch (err) {
          if (err instanceof Error && err.name === 'ConflictError') throw new CliExit(EXIT_FAILURE, `user ${name} already exists`);
          throw err;
        }
        process.stdout.write(`added ${opts.admin ? 'admin' : 'viewer'} ${name}\n`);
      });
    });

  withConfigFlag(user.command('list').description('list users'))
    .option('--json', 'one JSON array')
    .action(async (opts: { json?: boolean; config?: string }) => {
      await withRuntime(opts, async ({ db }) => {
        const rows = (await db.repos.users.list()).map((u) => ({ id: u.id, username: u.username, role: u.role, must_change_password: u.mustChangePassword, created_at: u.createdAt, last_login_at: u.lastLoginAt }));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows)}\n`);
          return;
        }
        for (const r of rows) process.stdout.write(`${r.username.padEnd(24)} ${r.role.padEnd(7)} ${r.must_change_password ? 'must change password' : ''}\n`);
        if (rows.length === 0) process.stdout.write('no users (decnet up creates admin at first start)\n');
      });
    });

  withConfigFlag(user.command('passwd').description("set a user's password (their tokens are revoked)").argument('<name>'))
    .option('--password-stdin', 'read the password from stdin instead of prompting')
    .action(async (name: string, opts: { passwordStdin?: boolean; config?: string }) => {
      const password = await askPassword(opts.passwordStdin === true);
      await withRuntime(opts, async ({ db, clock }) => {
        const row = await db.repos.users.findByUsername(name);
        if (!row) throw new CliExit(EXIT_FAILURE, `no user ${name}`);
        await db.repos.users.updatePassword(row.id, await hashPassword(password), { mustChangePassword: false, tokensValidFrom: Math.floor(clock.now() / 1000) + 1 });
        process.stdout.write(`password of ${name} changed; their tokens are revoked\n`);
      });
    });

  withConfigFlag(user.command('delete').description('delete a user').argument('<name>')).action(async (name: string, opts: { config?: string }) => {
    await withRuntime(opts, async ({ db }) => {
      const row = await db.repos.users.findByUsername(name);
      if (!row || !(await db.repos.users.delete(row.id))) throw new CliExit(EXIT_FAILURE, `no user ${name}`);
      process.stdout.write(`deleted ${name}\n`);
    });
  });
}
