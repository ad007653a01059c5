/**
 * DNS rebinding (eventplane.md §4.7, CORRECTIONS #6.5): the resolver answers a public
 * address first, then a private one once the 30 s cache (on the injected clock) has
 * expired. The first attempt is pinned to the public address (which the loopback-only
 * connect hook refuses: nothing leaves the machine); the second resolves again, is
 * refused by the guard and never connects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loopbackOnly, scriptedResolver, startHarness, startReceiver, type Harness, type Receiver } from './support.js';

let h: Harness;
let rx: Receiver;
afterEach(async () => {
  await h.close();
  await rx.close();
});

describe('DNS rebinding', () => {
  for (const rebound of ['127.0.0.1', '169.254.169.254']) {
    it(`never connects to ${rebound} after the name rebinds`, async () => {
      // fast retry after 1 s (inside the cache) then 31 s (past it)
      h = await startHarness({ DECNET_WEBHOOK_ALLOW_CIDRS: '', DECNET_WEBHOOK_FAST_RETRY_SECS: '1,31' });
      rx = await startReceiver();
      const resolver = scriptedResolver({ 'hooks.example.test': [['93.184.216.34'], [rebound]] });
      const hook = loopbackOnly();
      const { id } = await h.subscribe({ url: `http://hooks.example.test:${rx.port}/in`, patterns: ['ttp.>'] });
      await h.start({ connectHook: hook.hook, resolver });
      await h.journal(1);

      const [first] = await h.untilRows(id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', 'attempt 1 (public answer, pinned)');
      expect(first!.lastError).toMatch(/^PinnedConnectError: connect to 93\.184\.216\.34 failed/);
      h.clock.advance(1000);
      await h.untilRows(id, (r) => r[0]?.attempts === 2 && r[0].state === 'pending', 'attempt 2 (cached answer)');
      expect(resolver.calls).toHaveLength(1);

      h.clock.advance(31_000); // past DECNET_WEBHOOK_DNS_CACHE_SECS: the name is resolved again
      const [last] = await h.untilRows(id, (r) => r[0]?.state === 'dead', 'attempt 3 refused by the guard');
      expect(resolver.calls).toHaveLength(2);
      expect(last).toMatchObject({ attempts: 3, lastStatus: null });
      expect(last!.lastError).toBe(`UrlRefusedError: address: hooks.example.test resolves to ${rebound} is in ${rebound.startsWith('127') ? '127.0.0.0/8' : '169.254.0.0/16'}`);
      expect(hook.seen.map((t) => t.address)).toEqual(['93.184.216.34', '93.184.216.34']);
      expect(hook.seen.every((t) => t.hostname === 'hooks.example.test')).toBe(true);
      expect(rx.received).toEqual([]);
    });
  }
});
