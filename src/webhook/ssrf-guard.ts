/**
 * The SSRF guard (eventplane.md §4.7), run when a URL is written and on every attempt:
 *
 * 1. WHATWG URL parsing (it normalises `2130706433` and `0x7f.1` to dotted IPv4); only
 *    `http:`/`https:`, a host is required, userinfo is refused.
 * 2. The host resolves through an injected resolver (`dns.lookup` by default; A and
 *    AAAA), cached `DECNET_WEBHOOK_DNS_CACHE_SECS` on the injected clock; an IP literal
 *    is used as is. No answer or a DNS error fails closed.
 * 3. Every address must pass the deny table below; IPv4 embedded in IPv6 (mapped,
 *    NAT64, 6to4, Teredo server and client) is extracted and checked against the IPv4
 *    rows. `DECNET_WEBHOOK_ALLOW_PRIVATE` lifts every range; `DECNET_WEBHOOK_ALLOW_CIDRS`
 *    lifts the listed blocks, for embedded addresses too.
 *
 * The caller then connects only to the addresses returned (pinned-agent.ts), so a
 * rebinding answer between the check and the connection cannot redirect it.
 */
import { lookup } from 'node:dns/promises';
import type { Clock } from '../bus/index.js';
import { cidrContains, formatIPv4, parseCidr, parseIp, type Cidr, type IpFamily } from './cidr.js';

/** Why a URL was refused; `dns` is retryable at send time (422 at write time). */
export type RefusalReason = 'url' | 'scheme' | 'host' | 'userinfo' | 'address' | 'dns';

export class UrlRefusedError extends Error {
  override readonly name = 'UrlRefusedError';
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}

/** Resolves a host name to its addresses (A and AAAA); rejects or answers [] when there are none. */
export type HostResolver = (hostname: string) => Promise<readonly string[]>;

/** `dns.lookup` (the system resolver, as every other program on the host sees names), every family. */
export const systemResolver: HostResolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

const cidrs = (list: readonly string[]): Cidr[] => list.map((c) => parseCidr(c));

/** IETF protocol assignments: refused, except its Teredo part. */
const IETF_PROTOCOL = parseCidr('2001::/23');
const TEREDO = parseCidr('2001::/32');
const MAPPED = parseCidr('::ffff:0:0/96');
const NAT64 = parseCidr('64:ff9b::/96');
const SIX_TO_FOUR = parseCidr('2002::/16');

/** IPv4 blocks refused (eventplane.md §4.7), also when embedded in an IPv6 address. */
export const DENIED_IPV4: readonly Cidr[] = cidrs([
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10', // CGNAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, incl. the metadata address 169.254.169.254
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
]);

/** IPv6 blocks refused outright. `2001::/23` is refused except Teredo (`2001::/32`), whose embedded addresses are checked instead. */
export const DENIED_IPV6: readonly Cidr[] = [
  ...cidrs([
    '::/128',
    '::1/128',
    '::/96', // IPv4-compatible (deprecated)
    '64:ff9b:1::/48', // local-use NAT64
    '100::/64', // discard-only
  ]),
  IETF_PROTOCOL,
  ...cidrs([
    '2001:db8::/32',
    '3fff::/20',
    'fc00::/7', // unique local, incl. the EC2 metadata address fd00:ec2::254
    'fe80::/10',
    'fec0::/10',
    'ff00::/8',
  ]),
];

export interface EmbeddedIPv4 {
  readonly kind: 'mapped' | 'nat64' | '6to4' | 'teredo-server' | 'teredo-client';
  readonly value: bigint;
}

/** The IPv4 addresses carried inside an IPv6 address (none for most). */
export function embeddedIPv4(v6: bigint): EmbeddedIPv4[] {
  const low32 = v6 & 0xffffffffn;
  if (cidrContains(MAPPED, 6, v6)) return [{ kind: 'mapped', value: low32 }];
  if (cidrContains(NAT64, 6, v6)) return [{ kind: 'nat64', value: low32 }];
  if (cidrContains(SIX_TO_FOUR, 6, v6)) return [{ kind: '6to4', value: (v6 >> 80n) & 0xffffffffn }];
  if (cidrContains(TEREDO, 6, v6)) {
    return [
      { kind: 'teredo-server', value: (v6 >> 64n) & 0xffffffffn },
      { kind: 'teredo-client', value: low32 ^ 0xffffffffn },
    ];
  }
  return [];
}

export interface AddressPolicy {
  /** `DECNET_WEBHOOK_ALLOW_PRIVATE`: lift every range (local SIEMs, tests). */
  readonly allowPrivate: boolean;
  /** `DECNET_WEBHOOK_ALLOW_CIDRS`: blocks lifted from the deny table. */
  readonly allowCidrs: readonly string[];
}

/** Checks single addresses against the deny table and the operator's allow list. */
export class AddressPolicyCheck {
  private readonly allow: readonly Cidr[];

  constructor(private readonly policy: AddressPolicy) {
    this.allow = cidrs(policy.allowCidrs);
  }

  /** Why `address` is refused, or undefined when it may be connected to. */
  refusal(address: string): string | undefined {
    const ip = parseIp(address);
    if (!ip) return `${address} is not an IP address`;
    if (this.policy.allowPrivate || this.allowed(ip.family, ip.value)) return undefined;
    if (ip.family === 4) {
      const hit = DENIED_IPV4.find((c) => cidrContains(c, 4, ip.value));
      return hit ? `${ip.text} is in ${hit.text}` : undefined;
    }
    const hit = DENIED_IPV6.find((c) => cidrContains(c, 6, ip.value) && !(c === IETF_PROTOCOL && cidrContains(TEREDO, 6, ip.value)));
    if (hit) return `${ip.text} is in ${hit.text}`;
    for (const inner of embeddedIPv4(ip.value)) {
      if (this.allowed(4, inner.value)) continue;
      const v4 = DENIED_IPV4.find((c) => cidrContains(c, 4, inner.value));
      if (v4) return `${ip.text} carries ${formatIPv4(inner.value)} (${inner.kind}), which is in ${v4.text}`;
    }
    return undefined;
  }

  private allowed(family: IpFamily, value: bigint): boolean {
    return this.allow.some((c) => cidrContains(c, family, value));
  }
}

/** A URL that passed: where to connect, and what to say in `Host` and SNI. */
export interface CheckedTarget {
  readonly url: URL;
  /** The host name without brackets (a name, or an IP literal). */
  readonly hostname: string;
  /** Validated addresses, in the resolver's order: connect only to these. */
  readonly addresses: readonly string[];
}

export interface GuardOptions extends AddressPolicy {
  readonly clock: Clock;
  /** Default: `systemResolver`. Tests always inject one. */
  readonly resolver?: HostResolver;
  /** `DECNET_WEBHOOK_DNS_CACHE_SECS` (30); 0 disables the cache. */
  readonly dnsCacheSecs: number;
  /** Most names cached (oldest dropped first). */
  readonly maxCached?: number;
}

/** Parses a webhook URL's syntax (step 1); throws UrlRefusedError. */
export function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlRefusedError('url', 'not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UrlRefusedError('scheme', `only http and https URLs are accepted, not ${url.protocol.replace(/:$/, '')}`);
  if (url.hostname === '') throw new UrlRefusedError('host', 'the URL names no host');
  if (url.username !== '' || url.password !== '') throw new UrlRefusedError('userinfo', 'credentials in the URL are refused; authenticate with the signature');
  return url;
}

export class WebhookUrlGuard {
  private readonly resolver: HostResolver;
  private readonly cache = new Map<string, { addresses: readonly string[]; expiresAt: number }>();
  private readonly check: AddressPolicyCheck;

  constructor(private readonly opts: GuardOptions) {
    this.resolver = opts.resolver ?? systemResolver;
    this.check = new AddressPolicyCheck(opts);
  }

  /** Runs every step; resolves the validated target or rejects with UrlRefusedError. */
  async checkUrl(text: string): Promise<CheckedTarget> {
    const url = parseWebhookUrl(text);
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const addresses = parseIp(hostname) ? [hostname] : await this.resolve(hostname);
    for (const address of addresses) {
      const why = this.check.refusal(address);
      if (why !== undefined) throw new UrlRefusedError('address', `${hostname === address ? '' : `${hostname} resolves to `}${why}`);
    }
    return { url, hostname, addresses };
  }

  /** Forgets cached answers (tests, or an operator's reload). */
  clearCache(): void {
    this.cache.clear();
  }

  private async resolve(hostname: string): Promise<readonly string[]> {
    const key = hostname.toLowerCase();
    const now = this.opts.clock.now();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > now) return hit.addresses;
    let addresses: readonly string[];
    try {
      addresses = await this.resolver(hostname);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new UrlRefusedError('dns', `${hostname} did not resolve${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (addresses.length === 0) throw new UrlRefusedError('dns', `${hostname} has no A or AAAA record`);
    if (this.opts.dnsCacheSecs > 0) {
      this.cache.delete(key);
      if (this.cache.size >= (this.opts.maxCached ?? 1000)) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { addresses, expiresAt: now + this.opts.dnsCacheSecs * 1000 });
    }
    return addresses;
  }
}
