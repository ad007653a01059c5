/** RFC 4122 UUIDv5 (SHA-1, name-based), for deterministic tag ids (ttp.md §4.6). */
import { createHash } from 'node:crypto';

export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

const namespaceBytes = new Map<string, Buffer>();

function bytesOf(uuid: string): Buffer {
  let b = namespaceBytes.get(uuid);
  if (b === undefined) namespaceBytes.set(uuid, (b = Buffer.from(uuid.replace(/-/g, ''), 'hex')));
  return b;
}

export function uuidv5(name: string, namespace: string): string {
  const h = createHash('sha1').update(bytesOf(namespace)).update(name, 'utf8').digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const hex = h.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `UUIDv5(URL namespace, "urn:decnet:ttp:tag:v1")` = 9c90ea1d-6b64-564e-979e-4aa80b651918. */
export const TAG_NAMESPACE = uuidv5('urn:decnet:ttp:tag:v1', URL_NAMESPACE);
