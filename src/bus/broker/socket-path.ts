/**
 * The broker's socket file (spec/bus.md §3.1, CORRECTIONS #3.10): where it may live, what
 * may be removed to bind it, and its permissions afterwards.
 *
 * - The path must fit `sun_path` (107 bytes): libuv silently truncates a longer one, so
 *   the broker checks it itself and says so.
 * - A missing parent directory is created only under `$DECNET_HOME`; elsewhere the start
 *   fails naming the directory.
 * - Something already at the path is probed, never blindly unlinked: a socket where a
 *   broker answers → refuse to start; a socket nobody listens on (stale, `lstat` says
 *   socket and connect is refused) → unlinked; anything else (a regular file, a symlink,
 *   a directory) → never removed, refuse.
 * - After bind: chmod 0660 and, when the group names an existing group, chgrp. Failures
 *   are logged, not fatal.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { MAX_SOCKET_PATH_BYTES } from '../env.js';
import type { Logger } from '../log.js';


/** Mode of the socket file: owner and group may connect, nobody else. */
export const SOCKET_MODE = 0o660;

/** The broker cannot start on this path; the message says why and what to do. */
export class BrokerStartError extends Error {
  override readonly name = 'BrokerStartError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Throws a BrokerStartError when `path` is over the sun_path limit. */
export function checkSocketPathLength(path: string): void {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new BrokerStartError(path, `socket path ${path} is ${bytes} bytes; a UNIX socket path may be at most ${MAX_SOCKET_PATH_BYTES} bytes (choose a shorter --socket)`);
  }
}

/** Is `dir` the directory `home` or inside it? (Both absolute.) */
function isUnder(dir: string, home: string): boolean {
  const rel = relative(home, dir);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** What answers at a socket path. */
export type ProbeResult = 'live' | 'stale' | 'gone';

/** Connects to `path` once: a listener answers (`live`), refuses (`stale`) or the path vanished (`gone`). */
export function probeSocket(path: string): Promise<ProbeResult> {
  return new Promise((resolvePromise, reject) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolvePromise('live');
    });
    sock.once('error', (err) => {
      sock.destroy();
      const code = errCode(err);
      if (code === 'ECONNREFUSED') resolvePromise('stale');
      else if (code === 'ENOENT') resolvePromise('gone');
      // a full backlog: somebody is listening, just busy
      else if (code === 'EAGAIN') resolvePromise('live');
      else reject(new BrokerStartError(path, `cannot probe ${path} for a running broker: ${err.message}`));
    });
  });
}

export interface PrepareOptions {
  /** `$DECNET_HOME`: the one tree where a missing directory is created. */
  readonly home: string;
  readonly log: Logger;
}

/**
 * Makes `path` ready to bind: checks its length, creates a missing parent under
 * `$DECNET_HOME`, refuses a live broker or a non-socket, removes a stale socket. Returns
 * the absolute path.
 */
export async function prepareSocketPath(path: string, opts: PrepareOptions): Promise<string> {
  const abs = resolve(path);
  checkSocketPathLength(abs);
  const dir = dirname(abs);
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new BrokerStartError(abs, `the socket's parent ${dir} is not a directory`);
  } catch (err) {
    if (err instanceof BrokerStartError) throw err;
    if (errCode(err) !== 'ENOENT') throw new BrokerStartError(abs, `cannot use the socket's directory ${dir}: ${(err as Error).message}`);
    const home = resolve(opts.home);
    if (!isUnder(dir, home)) {
      throw new BrokerStartError(abs, `directory ${dir} does not exist; create it first (the broker creates missing directories only under $DECNET_HOME, ${home})`);
    }
    // group members need search permission on the directory to reach the socket
    await mkdir(dir, { recursive: true, mode: 0o750 });
    opts.log.info({ dir }, 'created the bus socket directory');
  }

  let st;
  try {
    st = await lstat(abs);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return abs;
    throw new BrokerStartError(abs, `cannot inspect ${abs}: ${(err as Error).message}`);
  }
  if (!st.isSocket()) {
    const what = st.isFile() ? 'a regular file' : st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'not a socket';
    throw new BrokerStartError(abs, `${abs} exists and is ${what}, not a socket; the broker never removes it (move it away or choose another --socket)`);
  }
  const probe = await probeSocket(abs);
  if (probe === 'live') throw new BrokerStartError(abs, `a broker is already listening on ${abs}; stop it first or choose another --socket`);
  if (probe === 'stale') {
    try {
      await unlink(abs);
      opts.log.info({ path: abs }, 'removed a stale bus socket (nobody was listening)');
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw new BrokerStartError(abs, `cannot remove the stale socket ${abs}: ${(err as Error).message}`);
    }
  }
  return abs;
}

/** The gid of group `name` (or a numeric gid), from /etc/group then `getent`; undefined if unknown. */
export async function lookupGroup(name: string): Promise<number | undefined> {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const text = await readFile('/etc/group', 'utf8');
    for (const line of text.split('\n')) {
      const [group, , gid] = line.split(':');
      if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
    }
  } catch {
    // no /etc/group: ask NSS below
  }
  return new Promise((resolvePromise) => {
    execFile('getent', ['group', name], { timeout: 2000 }, (err, stdout) => {
      const gid = err ? undefined : stdout.split(':')[2];
      resolvePromise(gid !== undefined && /^\d+$/.test(gid.trim()) ? Number(gid.trim()) : undefined);
    });
  });
}

/** chmod 0660 and, when `group` names an existing group, chgrp. Logs failures; never throws. */
export async function secureSocket(path: string, group: string | undefined, log: Logger): Promise<void> {
  try {
    await chmod(path, SOCKET_MODE);
  } catch (err) {
    log.warn({ err, path }, 'could not chmod the bus socket to 0660');
  }
  if (group === undefined || group === '') return;
  const gid = await lookupGroup(group);
  if (gid === undefined) {
    log.warn({ group, path }, 'bus socket group does not exist; the socket keeps the broker user\'s group');
    return;
  }
  try {
    await chown(path, -1, gid);
  } catch (err) {
    log.warn({ err, group, gid, path }, 'could not chgrp the bus socket');
  }
}

/** Which file a bound socket is, so shutdown removes ours and not a successor's. */
export interface SocketIdentity {
  readonly dev: number;
  readonly ino: number;
}

export async function socketIdentity(path: string): Promise<SocketIdentity | undefined> {
  try {
    const st = await lstat(path);
    return st.isSocket() ? { dev: st.dev, ino: st.ino } : undefined;
  } catch {
    return undefined;
  }
}

/** Unlinks `path` if it is still the socket we bound; used at shutdown. Never throws. */
export async function removeSocketFile(path: string, ours: SocketIdentity): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isSocket() && st.dev === ours.dev && st.ino === ours.ino) await unlink(path);
  } catch {
    // already gone (libuv unlinks a pipe on close) or not ours to remove
  }
}
