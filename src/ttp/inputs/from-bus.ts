/**
 * Bus events → inputs for the live-only topics (ttp.md §1.4): `attacker.intel.enriched`
 * (`intel`), `attacker.fingerprinted` (`fingerprint`), `identity.formed` and
 * `identity.merged` (`identity`, tagged by `identity_uuid`, no address). Journaled topics
 * are read from the journal (from-journal.ts) and other topics yield nothing here. Ids
 * (§1.5): the address (or identity), then the payload as key-sorted JSON without times.
 */
import { topics, type BusEvent } from '../../bus/index.js';
import { inputId } from './ids.js';
import { address, checkPayload, epochSecondsText, nothing, pick, project, ProjectionError, timeText, type Projection, type Projected, type SourceOptions } from './projection.js';

type Payload = Readonly<Record<string, unknown>>;
type Reader = (p: Projection, payload: Payload, at: () => string) => void;

/** Intel and fingerprints are tagged by address: one that is not an address is refused. */
function addressOf(payload: Payload): string {
  const ip = address(payload.attacker_ip);
  if (ip === null) throw new ProjectionError(`attacker_ip ${JSON.stringify(payload.attacker_ip)} is not an address`);
  return ip;
}

/** `provider_verdicts` without the providers that gave none (the input's map holds text only). */
function verdicts(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function intel(p: Projection, e: Payload, at: () => string): void {
  p.add('intel', () => {
    const ip = addressOf(e);
    return { ...pick('intel', e), provider_verdicts: verdicts(e.provider_verdicts), id: inputId('intel', { ...e, attacker_ip: ip }), attacker_uuid: e.attacker_uuid ?? null, attacker_ip: ip, decky: null, service: null, ts: at() };
  });
}

/** The payload's `kind` is the input's `probe`, its `source` `probe_source` (`source` is provenance, §1.1). */
function fingerprint(p: Projection, e: Payload): void {
  p.add('fingerprint', () => {
    const ip = addressOf(e);
    const { kind: probe, source: probeSource, ...rest } = e;
    const fields = { ...rest, probe, probe_source: probeSource };
    return { ...pick('fingerprint', fields), id: inputId('fingerprint', { ...fields, attacker_ip: ip }), attacker_uuid: e.attacker_uuid ?? null, attacker_ip: ip, decky: null, service: null, ts: timeText(e.observed_at, 'observed_at') };
  });
}

function identity(event: 'formed' | 'merged'): Reader {
  return (p, e, at) => {
    p.add('identity', () => {
      const uuid = event === 'formed' ? e.identity_uuid : e.winner_uuid;
      const members = Array.isArray(e.observation_uuids) ? { member_count: e.observation_uuids.length } : {};
      return { ...pick('identity', e), ...members, event, id: inputId('identity', { ...e, identity_uuid: uuid }), identity_uuid: uuid, attacker_ip: null, decky: null, service: null, ts: at() };
    });
  };
}

const READERS: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  [topics.attacker(topics.ATTACKER_INTEL_ENRICHED), intel],
  [topics.attacker(topics.ATTACKER_FINGERPRINTED), fingerprint],
  [topics.identity(topics.IDENTITY_FORMED), identity('formed')],
  [topics.identity(topics.IDENTITY_MERGED), identity('merged')],
]);

/** The inputs of one live event (`source.ref` = its envelope id); a malformed payload yields none and a problem. */
export function inputsFromBusEvent(event: BusEvent, opts: SourceOptions = {}): Projected {
  const read = READERS.get(typeof event?.topic === 'string' ? event.topic : '');
  if (read === undefined) return nothing();
  return project({ type: 'bus', ref: typeof event.id === 'string' ? event.id : null }, opts, (p) => {
    read(p, checkPayload(event.topic, event.payload), () => epochSecondsText(event.ts));
  });
}
