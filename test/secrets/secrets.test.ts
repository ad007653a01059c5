/** Secrets at rest (eventplane.md §1.4): the master key, HKDF purpose keys, seal/open. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aadFor, deriveKey, loadMasterKey, MasterKeyError, open, seal, SecretUnreadableError } from '../../src/secrets/index.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'decnet-secrets-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function unreadable(fn: () => unknown): SecretUnreadableError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecretUnreadableError) return err;
    throw err;
  }
  throw new Error('opened');
}

describe('master key', () => {
  it('creates $DECNET_HOME/secret.key on first start: 32 raw bytes, mode 0600, and reuses it', async () => {
    const nested = join(home, 'fresh-home');
    const key = await loadMasterKey({ home: nested });
    expect(key).toHaveLength(32);
    const path = join(nested, 'secret.key');
    const st = await stat(path);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await readFile(path)).toEqual(key);
    expect(await loadMasterKey({ home: nested })).toEqual(key);
    expect((await readdir(nested)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('is created exactly once when several starts race', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadMasterKey({ home })));
    for (const k of keys) expect(k).toEqual(keys[0]);
    expect(await readdir(home)).toEqual(['secret.key']);
  });

  it('refuses a key file readable by group or others, giving the chmod to run', async () => {
    const path = join(home, 'secret.key');
    await writeFile(path, randomBytes(32), { mode: 0o600 });
    await chmod(path, 0o644);
    const err = await loadMasterKey({ home }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MasterKeyError);
    expect((err as Error).message).toContain(`chmod 600 '${path}'`);
    expect((err as Error).message).toContain('0644');
    await chmod(path, 0o640);
    await expect(loadMasterKey({ home })).rejects.toBeInstanceOf(MasterKeyError);
    await chmod(path, 0o600);
    await expect(loadMasterKey({ home })).resolves.toHaveLength(32);
  });

  it('refuses a key file of the wrong size instead of replacing it', async () => {
    const path = join(home, 'secret.key');
    await writeFile(path, 'short', { mode: 0o600 });
    await expect(loadMasterKey({ home })).rejects.toThrow(/holds 5 bytes, not 32/);
    expect(await readFile(path, 'utf8')).toBe('short');
  });

  it('takes DECNET_SECRET_KEY as hex or base64, before any file', async () => {
    const raw = randomBytes(32);
    expect(await loadMasterKey({ envValue: raw.toString('hex'), home })).toEqual(raw);
    expect(await loadMasterKey({ envValue: raw.toString('hex').toUpperCase(), home })).toEqual(raw);
    expect(await loadMasterKey({ envValue: raw.toString('base64'), home })).toEqual(raw);
    expect(await loadMasterKey({ envValue: ` ${raw.toString('base64url')}\n`, home })).toEqual(raw);
    expect(await readdir(home)).toEqual([]); // no file made
  });

  it('refuses a bad DECNET_SECRET_KEY, naming it and what it accepts, without echoing it', async () => {
    for (const bad of ['abc', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), `${'zz'.repeat(32)}`, randomBytes(33).toString('base64')]) {
      const err = await loadMasterKey({ envValue: bad, home }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MasterKeyError);
      expect((err as MasterKeyError).variable).toBe('DECNET_SECRET_KEY');
      expect((err as Error).message).toMatch(/^DECNET_SECRET_KEY: expected 32 bytes as 64 hex digits or as base64/);
      expect((err as Error).message).not.toContain(bad);
    }
  });
});

describe('purpose keys', () => {
  it('are HKDF-SHA256 with an empty salt and info decnet/<purpose>/v1', async () => {
    const master = Buffer.alloc(32, 7);
    const jwt = deriveKey(master, 'jwt');
    expect(jwt).toHaveLength(32);
    const { hkdfSync } = await import('node:crypto');
    expect(jwt).toEqual(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'decnet/jwt/v1', 32)));
    expect(deriveKey(master, 'webhook-secret')).not.toEqual(jwt);
    expect(deriveKey(master, 'canary-fingerprint')).not.toEqual(deriveKey(master, 'webhook-secret'));
    expect(deriveKey(master, 'jwt')).toEqual(jwt);
    expect(() => deriveKey(Buffer.alloc(16), 'jwt')).toThrow(RangeError);
  });
});

describe('seal and open', () => {
  const key = deriveKey(Buffer.alloc(32, 1), 'webhook-secret');
  const aad = aadFor('webhooks', 'secret', '6f1c3a52-7d4e-4b9a-9c1e-0a2b3c4d5e6f');

  it('round-trips in the v1 format with a fresh nonce each time', () => {
    const plain = 'whsec ✓ "unicode" and long '.repeat(20);
    const a = seal(key, plain, aad);
    const b = seal(key, plain, aad);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(3), 'base64url')).toHaveLength(12 + Buffer.byteLength(plain) + 16);
    expect(open(key, a, aad)).toBe(plain);
    expect(open(key, b, aad)).toBe(plain);
    expect(open(key, seal(key, '', aad), aad)).toBe('');
    expect(aad).toBe('webhooks:secret:6f1c3a52-7d4e-4b9a-9c1e-0a2b3c4d5e6f');
  });

  it('does not open with another row, column or key', () => {
    const sealed = seal(key, 'secret', aad);
    expect(unreadable(() => open(key, sealed, aadFor('webhooks', 'secret', 'other-row'))).code).toBe('secret_unreadable');
    unreadable(() => open(key, sealed, aadFor('webhooks', 'token', '6f1c3a52-7d4e-4b9a-9c1e-0a2b3c4d5e6f')));
    unreadable(() => open(deriveKey(Buffer.alloc(32, 1), 'jwt'), sealed, aad));
    unreadable(() => open(Buffer.alloc(16), sealed, aad));
  });

  it('detects tampering and refuses malformed values', () => {
    const sealed = seal(key, 'secret', aad);
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    for (const i of [0, 12, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[i] = (copy[i] ?? 0) ^ 1;
      unreadable(() => open(key, `v1.${copy.toString('base64url')}`, aad));
    }
    unreadable(() => open(key, `v1.${raw.subarray(0, raw.length - 1).toString('base64url')}`, aad));
    unreadable(() => open(key, sealed.replace('v1.', 'v2.'), aad));
    unreadable(() => open(key, 'secret', aad));
    unreadable(() => open(key, 'v1.', aad));
    unreadable(() => open(key, `${sealed}!`, aad));
  });

  it('refuses table or column names with a colon (the AAD would be ambiguous)', () => {
    expect(() => aadFor('a:b', 'c', 'd')).toThrow(RangeError);
  });
});
