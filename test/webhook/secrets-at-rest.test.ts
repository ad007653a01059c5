/**
 * Secrets at rest (eventplane.md §1.4, §4.1): the database file (and its WAL) never
 * holds a webhook secret in clear, before or after a rotation; a sealed value bound to
 * one row does not open on another.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveKey } from '../../src/secrets/index.js';
import { openSubscriptionSecrets, rotateSecret } from '../../src/webhook/index.js';
import { startHarness } from './support.js';

describe('webhook secrets at rest', () => {
  it('never stores a secret in clear, and binds each sealed value to its row', async () => {
    const h = await startHarness();
    try {
      const first = 'first-secret-Ünïcode-☃-0123456789';
      const second = 'second-secret-abcdefghijklmnop';
      const a = await h.subscribe({ url: 'https://93.184.216.34/a', patterns: ['ttp.>'], secret: first });
      const b = await h.subscribe({ url: 'https://93.184.216.34/b', patterns: ['ttp.>'], secret: 'another-secret-of-b-0000' });
      const key = deriveKey(h.masterKey, 'webhook-secret');
      const subA = (await h.db.repos.webhookSubscriptions.findById(a.id))!;
      await h.db.repos.webhookSubscriptions.update(a.id, rotateSecret(key, subA, second, h.clock.now()));

      const rotated = (await h.db.repos.webhookSubscriptions.findById(a.id))!;
      const opened = openSubscriptionSecrets(key, rotated);
      expect(opened.ok && opened.secrets.current).toBe(second);
      expect(opened.ok && opened.secrets.previous).toBe(first);

      // b's sealed secret copied onto a's row does not open there
      const subB = (await h.db.repos.webhookSubscriptions.findById(b.id))!;
      expect(openSubscriptionSecrets(key, { ...rotated, secretEnc: subB.secretEnc })).toMatchObject({ ok: false });

      await h.db.close();
      const files = ['decnet.db', 'decnet.db-wal', 'decnet.db-shm'].map((f) => join(h.home, f)).filter((f) => existsSync(f));
      // the files read are the right ones: the rows' other columns are there in clear
      expect(files.some((f) => readFileSync(f).includes(Buffer.from('https://93.184.216.34/a')))).toBe(true);
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const secret of [first, second, 'another-secret-of-b-0000']) {
          expect(bytes.includes(Buffer.from(secret, 'utf8')), `${secret} in ${file}`).toBe(false);
          expect(bytes.includes(Buffer.from(secret.slice(0, 12), 'utf8')), `a prefix of ${secret} in ${file}`).toBe(false);
        }
      }
    } finally {
      await h.close();
    }
  });
});
