/**
 * docs/webhooks.md's TypeScript verification snippet, run as written against headers and
 * a body the worker's signer produced (during a rotation, so both secrets sign).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliveryHeaders, webhookBody } from '../../src/webhook/index.js';
import { REPO } from '../support/cli.js';

describe('docs/webhooks.md', () => {
  it("the TypeScript snippet verifies a real delivery and refuses a tampered one", async () => {
    const doc = readFileSync(join(REPO, 'docs', 'webhooks.md'), 'utf8');
    const snippet = doc.split('```ts')[1]?.split('```')[0];
    expect(snippet).toBeDefined();
    // outside src/ and test/ (no typecheck or lint of a temporary file), inside the repo (module resolution)
    const dir = join(REPO, 'node_modules', '.cache', 'decnet-docs-snippet');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `verify-${process.pid}.ts`);
    writeFileSync(file, snippet as string);
    const secret = 'the-new-sécret-of-a-receiver';
    process.env.DECNET_WEBHOOK_SECRET = secret;
    try {
      const { verifyDecnet } = (await import(file)) as { verifyDecnet: (h: Record<string, string>, b: Buffer) => { id: string } };
      const id = 'e'.repeat(32);
      const body = Buffer.from(webhookBody({ id, topic: 'credential.captured', type: 'captured', ts: Date.now() / 1000, payload: { user: 'root' } }));
      const headers = deliveryHeaders({ eventId: id, topic: 'credential.captured', body, secrets: { current: 'another-secret-entirely', previous: secret, previousExpiresAtMs: Date.now() + 60_000 }, nowMs: Date.now() });
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      expect(verifyDecnet(lower, body).id).toBe(id);
      expect(() => verifyDecnet(lower, Buffer.from(body.toString().replace('root', 'toor')))).toThrow();
    } finally {
      delete process.env.DECNET_WEBHOOK_SECRET;
      rmSync(file, { force: true });
    }
  });
});
