/**
 * DNS pinning (eventplane.md §4.7 step 4): the socket goes to the validated address
 * while Host, TLS SNI and the certificate check keep the URL's name; a connect error moves
 * on to the next validated address; redirects are not followed. Real local servers
 * (http and https with a throwaway certificate), loopback only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PinnedAgent, type CheckedTarget } from '../../src/webhook/index.js';
import { loopbackOnly } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'dn-pin-'));
let cert: Buffer;
let key: Buffer;

beforeAll(() => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=hooks.example.test', '-addext', 'subjectAltName=DNS:hooks.example.test'], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'));
  key = readFileSync(join(dir, 'key.pem'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  headers: IncomingHttpHeaders;
  servername?: string | false | null;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

const target = (url: string, addresses: string[]): CheckedTarget => {
  const u = new URL(url);
  return { url: u, hostname: u.hostname, addresses };
};

const post = (agent: PinnedAgent, t: CheckedTarget): ReturnType<PinnedAgent['post']> =>
  agent.post({ target: t, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), signal: new AbortController().signal, backstopMs: 5000, maxResponseBytes: 65_536 });

describe('PinnedAgent', () => {
  it('connects to the pinned address but keeps the name in Host, SNI and the certificate check', async () => {
    const seen: Seen[] = [];
    const server = createHttps({ key, cert }, (req, res) => {
      seen.push({ headers: req.headers, servername: (req.socket as TLSSocket).servername });
      req.resume();
      res.end('ok');
    });
    const port = await listen(server as unknown as Server);
    const hook = loopbackOnly();
    const agent = new PinnedAgent({ ca: cert, connectHook: hook.hook });
    try {
      const res = await post(agent, target(`https://hooks.example.test:${port}/in`, ['127.0.0.1']));
      expect(res.status).toBe(200);
      expect(seen[0]?.headers.host).toBe(`hooks.example.test:${port}`);
      expect(seen[0]?.servername).toBe('hooks.example.test');
      expect(hook.seen).toEqual([{ address: '127.0.0.1', port, hostname: 'hooks.example.test', protocol: 'https:' }]);
      // the same address under another name: the certificate does not match that name
      await expect(post(agent, target(`https://other.example.test:${port}/in`, ['127.0.0.1']))).rejects.toThrow(/altnames|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i);
      expect(seen).toHaveLength(1);
    } finally {
      await agent.close();
      server.close();
    }
  });

  it('moves on to the next validated address after a connect error, and follows no redirect', async () => {
    const paths: string[] = [];
    const server = createHttp((req, res) => {
      paths.push(req.url ?? '');
      req.resume();
      if (req.url === '/moved') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.end('ok');
    });
    const port = await listen(server);
    const hook = loopbackOnly();
    const agent = new PinnedAgent({ connectHook: hook.hook });
    try {
      // 127.0.0.2 is loopback too, but nothing listens there: refused, then 127.0.0.1
      const res = await post(agent, target(`http://hooks.example.test:${port}/in`, ['127.0.0.2', '127.0.0.1']));
      expect(res.status).toBe(200);
      expect(hook.seen.map((t) => t.address)).toEqual(['127.0.0.2', '127.0.0.1']);
      const moved = await post(agent, target(`http://hooks.example.test:${port}/moved`, ['127.0.0.1']));
      expect(moved.status).toBe(302);
      expect(paths).toEqual(['/in', '/moved']);
      // every address refused: the last connect error
      await expect(post(agent, target(`http://hooks.example.test:${port}/in`, ['10.0.0.7']))).rejects.toThrow(/PinnedConnectError|connect to 10\.0\.0\.7 failed/);
    } finally {
      await agent.close();
      server.close();
    }
  });
});
