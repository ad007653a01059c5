/**
 * IP addresses and CIDR blocks as numbers, for the SSRF guard (eventplane.md §4.7).
 * IPv4 is an unsigned 32-bit number, IPv6 a 128-bit bigint. Hand-written because the
 * guard must look *inside* IPv6 addresses (mapped, NAT64, 6to4, Teredo) and apply the
 * operator's allow list to what it finds there, which `net.BlockList` cannot do
 * (CORRECTIONS #6.9).
 */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export interface ParsedIp {
  readonly family: IpFamily;
  /** IPv4: 0 … 2^32−1; IPv6: 0 … 2^128−1. */
  readonly value: bigint;
  /** The address as given (zone id removed). */
  readonly text: string;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address (host bits zero). */
  readonly base: bigint;
  readonly prefix: number;
  /** As written, for messages. */
  readonly text: string;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

/** Parses a dotted-quad IPv4 address (strict: four decimal parts 0–255). */
export function parseIPv4(text: string): bigint | undefined {
  if (!isIPv4(text)) return undefined;
  let value = 0n;
  for (const part of text.split('.')) value = (value << 8n) | BigInt(Number(part));
  return value;
}

/** Parses an IPv6 address, with `::` compression, a trailing dotted quad and a `%zone` (dropped). */
export function parseIPv6(input: string): bigint | undefined {
  const text = input.split('%')[0] ?? '';
  if (!isIPv6(text)) return undefined;
  const groups: number[][] = text.split('::').map((half) => {
    if (half === '') return [];
    const out: number[] = [];
    for (const piece of half.split(':')) {
      if (piece.includes('.')) {
        const v4 = Number(parseIPv4(piece) ?? 0n);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  });
  const [head = [], tail = []] = groups;
  const words = groups.length === 2 ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  if (words.length !== 8) return undefined;
  let value = 0n;
  for (const w of words) value = (value << 16n) | BigInt(w);
  return value;
}

/** Parses an address of either family (brackets and a zone id are accepted for IPv6). */
export function parseIp(input: string): ParsedIp | undefined {
  const text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4, text };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { family: 6, value: v6, text: text.split('%')[0] ?? text };
  return undefined;
}

/** Parses `address/prefix` (a bare address is a /32 or /128); throws RangeError with what is wrong. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const ip = parseIp(address);
  if (!ip) throw new RangeError(`${JSON.stringify(text)} is not an IPv4 or IPv6 CIDR (address/prefix)`);
  const bits = BITS[ip.family];
  const prefixText = slash === -1 ? String(bits) : trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) throw new RangeError(`${JSON.stringify(text)}: the prefix must be 0–${bits}`);
  const prefix = Number(prefixText);
  return { family: ip.family, base: ip.value & mask(bits, prefix), prefix, text: trimmed };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Is the address (of the CIDR's family) inside the block? */
export function cidrContains(cidr: Cidr, family: IpFamily, value: bigint): boolean {
  return cidr.family === family && (value & mask(BITS[family], cidr.prefix)) === cidr.base;
}

/** The dotted-quad text of an IPv4 value. */
export function formatIPv4(value: bigint): string {
  const n = Number(value & 0xffffffffn);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}
