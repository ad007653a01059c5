/**
 * The SSRF guard alone (CORRECTIONS #6.6): table-driven, one address inside and one
 * just outside each range and each embedded form; URL-level refusals before any
 * connection; DNS answers checked in full and cached on the injected clock.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import { AddressPolicyCheck, parseCidr, parseIp, UrlRefusedError, WebhookUrlGuard } from '../../src/webhook/index.js';
import { scriptedResolver } from './support.js';

const strict = new AddressPolicyCheck({ allowPrivate: false, allowCidrs: [] });

/** [range, refused inside, allowed just outside (or null when the neighbours are refused too)] */
const IPV4: Array<[string, string[], string[]]> = [
  ['0.0.0.0/8', ['0.0.0.0', '0.255.255.255'], ['1.0.0.0']],
  ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255'], ['9.255.255.255', '11.0.0.0']],
  ['100.64.0.0/10 (CGNAT)', ['100.64.0.0', '100.127.255.255'], ['100.63.255.255', '100.128.0.0']],
  ['127.0.0.0/8', ['127.0.0.1', '127.255.255.255'], ['126.255.255.255', '128.0.0.0']],
  ['169.254.0.0/16', ['169.254.0.1', '169.254.169.254'], ['169.253.255.255', '169.255.0.0']],
  ['172.16.0.0/12', ['172.16.0.0', '172.31.255.255'], ['172.15.255.255', '172.32.0.0']],
  ['192.0.0.0/24', ['192.0.0.0', '192.0.0.255'], ['191.255.255.255', '192.0.1.0']],
  ['192.0.2.0/24', ['192.0.2.0', '192.0.2.255'], ['192.0.1.255', '192.0.3.0']],
  ['192.88.99.0/24', ['192.88.99.0', '192.88.99.255'], ['192.88.98.255', '192.88.100.0']],
  ['192.168.0.0/16', ['192.168.0.0', '192.168.255.255'], ['192.167.255.255', '192.169.0.0']],
  ['198.18.0.0/15', ['198.18.0.0', '198.19.255.255'], ['198.17.255.255', '198.20.0.0']],
  ['198.51.100.0/24', ['198.51.100.0', '198.51.100.255'], ['198.51.99.255', '198.51.101.0']],
  ['203.0.113.0/24', ['203.0.113.0', '203.0.113.255'], ['203.0.112.255', '203.0.114.0']],
  ['224.0.0.0/4', ['224.0.0.0', '239.255.255.255'], ['223.255.255.255']],
  ['240.0.0.0/4', ['240.0.0.0', '255.255.255.255'], ['223.255.255.255']],
];

const IPV6: Array<[string, string[], string[]]> = [
  ['::/128', ['::'], ['::1:0:0']],
  ['::1/128', ['::1'], ['::1:0:0']],
  ['::/96 (IPv4-compatible)', ['::2', '::ffff:ffff'], ['::1:0:0']],
  ['64:ff9b:1::/48', ['64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'], ['64:ff9b:2::', '64:ff9b:0:ffff::1']],
  ['100::/64', ['100::', '100::ffff:ffff:ffff:ffff'], ['100:0:0:1::', 'ff::1']],
  ['2001::/23 (outside Teredo)', ['2001:1::1', '2001:1ff:ffff:ffff::1'], ['2001:200::1']],
  ['2001:db8::/32', ['2001:db8::', '2001:db8:ffff:ffff::1'], ['2001:db7:ffff::1', '2001:db9::1']],
  ['3fff::/20', ['3fff::', '3fff:fff:ffff::1'], ['3ffe:ffff::1', '3fff:1000::1']],
  ['fc00::/7 (incl. fd00:ec2::254)', ['fc00::', 'fd00:ec2::254', 'fdff:ffff::1'], ['fbff:ffff::1', 'fe00::1']],
  ['fe80::/10', ['fe80::1', 'febf:ffff::1', 'fe80::1%eth0'], ['fe7f:ffff::1']],
  ['fec0::/10', ['fec0::1', 'feff:ffff::1'], ['fe7f:ffff::1']],
  ['ff00::/8', ['ff00::', 'ff02::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], ['fe00::1']],
];

/** [form, refused (embedding a denied IPv4), allowed (embedding a public one)] */
const EMBEDDED: Array<[string, string[], string[]]> = [
  ['IPv4-mapped ::ffff:0:0/96', ['::ffff:10.0.0.1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe'], ['::ffff:8.8.8.8']],
  ['NAT64 64:ff9b::/96', ['64:ff9b::10.0.0.7', '64:ff9b::7f00:1', '64:ff9b::169.254.169.254'], ['64:ff9b::8.8.8.8']],
  ['6to4 2002::/16 (bits 16–47)', ['2002:a00:7::1', '2002:7f00:1::', '2002:a9fe:a9fe::1'], ['2002:808:808::1']],
  ['Teredo server (bits 32–63)', ['2001:0:a00:7:8000:63bf:f7f7:f7f7', '2001:0:7f00:1::f7f7:f7f7'], ['2001:0:4136:e378:8000:63bf:f7f7:f7f7']],
  // client = low 32 bits inverted: 192.0.2.45 (RFC 4380's example), 127.0.0.1, 10.0.0.1
  ['Teredo client (low 32 bits inverted)', ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:4136:e378:8000:63bf:80ff:fffe', '2001:0:4136:e378::f5ff:fffe'], ['2001:0:4136:e378:8000:63bf:f7f7:f7f7']],
];

describe('SSRF guard: the deny table', () => {
  for (const [range, inside, outside] of [...IPV4, ...IPV6]) {
    it(`${range}: refuses ${inside.join(', ')}; allows ${outside.join(', ')}`, () => {
      for (const a of inside) expect(strict.refusal(a), a).toBeDefined();
      for (const a of outside) expect(strict.refusal(a), a).toBeUndefined();
    });
  }
  for (const [form, refused, allowed] of EMBEDDED) {
    it(`${form}: checks the embedded IPv4`, () => {
      for (const a of refused) expect(strict.refusal(a), a).toMatch(/carries \d+\.\d+\.\d+\.\d+/);
      for (const a of allowed) expect(strict.refusal(a), a).toBeUndefined();
    });
  }

  it('allows ordinary public addresses of both families', () => {
    for (const a of ['8.8.8.8', '93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) expect(strict.refusal(a), a).toBeUndefined();
  });

  it('DECNET_WEBHOOK_ALLOW_PRIVATE lifts every range', () => {
    const open = new AddressPolicyCheck({ allowPrivate: true, allowCidrs: [] });
    for (const a of ['127.0.0.1', '::1', '169.254.169.254', '10.0.0.7', 'fd00:ec2::254', '::ffff:127.0.0.1']) expect(open.refusal(a), a).toBeUndefined();
  });

  it('DECNET_WEBHOOK_ALLOW_CIDRS lifts only the listed blocks, for embedded addresses too', () => {
    const some = new AddressPolicyCheck({ allowPrivate: false, allowCidrs: ['10.20.0.0/16', 'fd12:3456::/32'] });
    expect(some.refusal('10.20.1.1')).toBeUndefined();
    expect(some.refusal('10.21.0.1')).toBeDefined();
    expect(some.refusal('::ffff:10.20.1.1')).toBeUndefined();
    expect(some.refusal('2002:a14:101::1')).toBeUndefined();
    expect(some.refusal('64:ff9b::10.21.0.1')).toBeDefined();
    expect(some.refusal('fd12:3456::9')).toBeUndefined();
    expect(some.refusal('fd12:3457::9')).toBeDefined();
    expect(some.refusal('127.0.0.1')).toBeDefined();
  });

  it('parses the address forms it meets', () => {
    expect(parseIp('::ffff:1.2.3.4')?.value).toBe(parseIp('::ffff:102:304')?.value);
    expect(parseIp('[::1]')?.family).toBe(6);
    expect(parseIp('1.2.3')).toBeUndefined();
    expect(parseIp('example.com')).toBeUndefined();
    expect(() => parseCidr('10.0.0.0/33')).toThrow(RangeError);
    expect(parseCidr('10.1.2.3/8').base).toBe(parseIp('10.0.0.0')?.value);
  });
});

describe('SSRF guard: URLs', () => {
  const guard = (resolver = scriptedResolver({}), clock = new FakeClock()): WebhookUrlGuard => new WebhookUrlGuard({ allowPrivate: false, allowCidrs: [], clock, dnsCacheSecs: 30, resolver });
  const refusal = async (g: WebhookUrlGuard, url: string): Promise<UrlRefusedError> => {
    try {
      await g.checkUrl(url);
    } catch (err) {
      if (err instanceof UrlRefusedError) return err;
      throw err;
    }
    throw new Error(`${url} was accepted`);
  };

  it('refuses loopback, metadata and numeric tricks without resolving anything', async () => {
    const resolver = scriptedResolver({});
    const g = guard(resolver);
    for (const url of ['http://[::1]/', 'http://127.0.0.1:8080/x', 'http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://[::ffff:7f00:1]/', 'https://[64:ff9b::a9fe:a9fe]/']) {
      expect((await refusal(g, url)).reason, url).toBe('address');
    }
    expect(resolver.calls).toEqual([]);
  });

  it('refuses other schemes, a missing host and userinfo', async () => {
    const g = guard();
    expect((await refusal(g, 'file:///etc/passwd')).reason).toBe('scheme');
    expect((await refusal(g, 'gopher://example.com/')).reason).toBe('scheme');
    expect((await refusal(g, 'ftp://example.com/')).reason).toBe('scheme');
    expect((await refusal(g, 'not a url')).reason).toBe('url');
    expect((await refusal(g, 'http://user:pass@example.com/')).reason).toBe('userinfo');
    expect((await refusal(g, 'https://token@example.com/')).reason).toBe('userinfo');
  });

  it('refuses a name resolving to 10.0.0.7, or to any refused address among several', async () => {
    const g = guard(scriptedResolver({ 'siem.example.test': [['10.0.0.7']], 'mixed.example.test': [['93.184.216.34', 'fd00::1']] }));
    expect((await refusal(g, 'https://siem.example.test/hook')).message).toBe('address: siem.example.test resolves to 10.0.0.7 is in 10.0.0.0/8');
    expect((await refusal(g, 'https://mixed.example.test/')).message).toMatch(/fd00::1 is in fc00::\/7/);
  });

  it('fails closed on a DNS error or an empty answer', async () => {
    const g = guard(scriptedResolver({ 'empty.example.test': [[]] }));
    expect((await refusal(g, 'https://nxdomain.example.test/')).reason).toBe('dns');
    expect((await refusal(g, 'https://empty.example.test/')).reason).toBe('dns');
  });

  it('returns the validated addresses and caches them for DECNET_WEBHOOK_DNS_CACHE_SECS on the clock', async () => {
    const clock = new FakeClock();
    const resolver = scriptedResolver({ 'hooks.example.test': [['93.184.216.34', '2606:2800:220:1::1'], ['127.0.0.1']] });
    const g = guard(resolver, clock);
    const first = await g.checkUrl('https://hooks.example.test:8443/in');
    expect(first).toMatchObject({ hostname: 'hooks.example.test', addresses: ['93.184.216.34', '2606:2800:220:1::1'] });
    clock.advance(29_999);
    await g.checkUrl('https://HOOKS.example.test/again');
    expect(resolver.calls).toHaveLength(1);
    clock.advance(1);
    expect((await refusal(g, 'https://hooks.example.test/in')).message).toMatch(/127\.0\.0\.1 is in 127\.0\.0\.0\/8/);
    expect(resolver.calls).toHaveLength(2);
  });

  it('lets loopback through with the allow switch (scheme and userinfo rules still apply)', async () => {
    const g = new WebhookUrlGuard({ allowPrivate: true, allowCidrs: [], clock: new FakeClock(), dnsCacheSecs: 30, resolver: scriptedResolver({}) });
    expect((await g.checkUrl('http://127.0.0.1:9/x')).addresses).toEqual(['127.0.0.1']);
    expect((await g.checkUrl('http://[::1]:9/x')).addresses).toEqual(['::1']);
    expect((await refusal(g, 'file:///etc/passwd')).reason).toBe('scheme');
    expect((await refusal(g, 'http://a:b@127.0.0.1/')).reason).toBe('userinfo');
  });
});
