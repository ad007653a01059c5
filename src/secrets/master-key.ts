/**
 * The master key (eventplane.md §1.4, CORRECTIONS #5.5, #5.15): `DECNET_SECRET_KEY`
 * (32 bytes as hex or base64), else `$DECNET_HOME/secret.key` holding 32 raw bytes.
 *
 * The file is created on first start as a temp file (mode 0600) that is then
 * `link()`ed into place: `link` fails if the name exists, so when two processes start
 * at once exactly one key wins and both read it; nobody ever sees a half-written key.
 * A key file readable or writable by group or others is refused (with the `chmod` to
 * run), as is one that does not hold exactly 32 bytes: regenerating would orphan every
 * secret sealed under the old key.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MasterKeyError } from './errors.js';

export const MASTER_KEY_BYTES = 32;
export const SECRET_KEY_VARIABLE = 'DECNET_SECRET_KEY';
export const KEY_FILE_NAME = 'secret.key';

export interface LoadMasterKeyOptions {
  /** `DECNET_SECRET_KEY`; unset or empty means the key file. */
  readonly envValue?: string;
  /** `DECNET_HOME`. */
  readonly home: string;
}

const HEX_RE = /^[0-9a-fA-F]{64}$/;
const B64_RE = /^[A-Za-z0-9+/]{43}=?$/;
const B64URL_RE = /^[A-Za-z0-9_-]{43}=?$/;

/** Decodes a `DECNET_SECRET_KEY` value; throws MasterKeyError naming the variable and what it accepts. */
export function parseSecretKey(value: string): Buffer {
  const v = value.trim();
  let key: Buffer | undefined;
  if (HEX_RE.test(v)) key = Buffer.from(v, 'hex');
  else if (B64_RE.test(v)) key = Buffer.from(v, 'base64');
  else if (B64URL_RE.test(v)) key = Buffer.from(v, 'base64url');
  if (key?.length !== MASTER_KEY_BYTES) {
    throw new MasterKeyError(
      SECRET_KEY_VARIABLE,
      `${SECRET_KEY_VARIABLE}: expected ${MASTER_KEY_BYTES} bytes as 64 hex digits or as base64 (44 characters with the padding '='), got ${v.length} characters that are neither; generate one with: openssl rand -hex 32`,
    );
  }
  return key;
}

/** Returns the master key from the environment value or the key file, creating the file on first start. */
export async function loadMasterKey(opts: LoadMasterKeyOptions): Promise<Buffer> {
  if (opts.envValue !== undefined && opts.envValue.trim() !== '') return parseSecretKey(opts.envValue);
  const path = join(opts.home, KEY_FILE_NAME);
  const existing = await readKeyFile(path);
  if (existing) return existing;
  await createKeyFile(opts.home, path);
  const created = await readKeyFile(path);
  if (!created) throw new MasterKeyError(path, `${path} vanished right after it was created`);
  return created;
}

/** Reads and checks the key file; undefined when it does not exist. */
async function readKeyFile(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new MasterKeyError(path, `${path} is a symbolic link; the key file must be a regular file`);
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new MasterKeyError(path, `${path} is not a regular file`);
    const mode = stat.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new MasterKeyError(path, `${path} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); refusing to use it. Run: chmod 600 '${path}'`);
    }
    if (stat.size !== MASTER_KEY_BYTES) {
      throw new MasterKeyError(path, `${path} holds ${stat.size} bytes, not ${MASTER_KEY_BYTES}; restore the original key file, or set ${SECRET_KEY_VARIABLE} (secrets sealed under the old key stay unreadable)`);
    }
    const key = Buffer.alloc(MASTER_KEY_BYTES);
    const { bytesRead } = await handle.read(key, 0, MASTER_KEY_BYTES, 0);
    if (bytesRead !== MASTER_KEY_BYTES) throw new MasterKeyError(path, `${path} could not be read whole`);
    return key;
  } finally {
    await handle.close();
  }
}

/** Writes 32 random bytes to a 0600 temp file and links it into place; losing the race is fine. */
async function createKeyFile(home: string, path: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const temp = join(home, `.${KEY_FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      await handle.chmod(0o600); // in case a umask or ACL widened it
      await handle.writeFile(randomBytes(MASTER_KEY_BYTES));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process won: use its key
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
