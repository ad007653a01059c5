/**
 * The techniques of the demo (CORRECTIONS #7.9, #9.4; ttp.md §13 "End to end"): `decnet
 * demo` beside `decnet up`, on a fresh database, gives each example attacker exactly the
 * techniques of the table below — at `GET /api/v1/ttp/tags?attacker_ip=…`, in the profile's
 * `techniques` and in the attackers list's `technique_ids`. A change to the examples or the
 * pack updates this table in the same commit.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/cli.js';
import { pollFor, Stacks, type Stack } from '../support/stack.js';

beforeAll(() => ensureBuilt());

/** Per example attacker, its techniques (the sub-technique where one is tagged), sorted. */
const PINNED: Readonly<Record<string, readonly string[]>> = {
  // Cowrie on decky-01: T1110 (R0001), T1110.001 (R0002), T1078 (R0005), T1078.001 (R0006),
  // T1082 (R0018), T1003.008 (R0014), T1105 (R0012), T1053.003 (R0025);
  // OpenCanary on decky-02, root/toor again: T1110.004 (R0004, reuse on two deckies)
  '198.51.100.23': ['T1003.008', 'T1053.003', 'T1078', 'T1078.001', 'T1082', 'T1105', 'T1110', 'T1110.001', 'T1110.004'],
  // RFC 5424 requests: JNDI, traversal, php://filter → T1190; sqlmap, zgrab → T1595.002
  '203.0.113.7': ['T1190', 'T1595.002'],
  // the examples' benign visitor (a crawler's robots.txt, an anonymous FTP login): nothing
  '192.0.2.61': [],
};

const stacks = new Stacks();
afterEach(() => stacks.cleanup());

const sorted = (ids: Iterable<string>): string[] => [...new Set(ids)].sort();
const same = (a: Record<string, string[]>): boolean => JSON.stringify(a) === JSON.stringify(PINNED);

interface TechniqueRef {
  technique_id: string;
  sub_technique_id: string | null;
}

/** Per pinned attacker, the techniques of its tags. */
async function fromTags(stack: Stack): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const ip of Object.keys(PINNED)) {
    const { tags } = await stack.get<{ tags: TechniqueRef[] }>(`/ttp/tags?attacker_ip=${ip}&limit=500`);
    out[ip] = sorted(tags.map((t) => t.sub_technique_id ?? t.technique_id));
  }
  return out;
}

/** Per pinned attacker, `techniques` of its profile and `technique_ids` of its row in the list. */
async function fromAttackerApi(stack: Stack): Promise<{ profile: Record<string, string[]>; list: Record<string, string[]> }> {
  const { attackers } = await stack.get<{ attackers: Array<{ ip: string; technique_ids: string[] }> }>('/attackers?limit=500');
  const profile: Record<string, string[]> = {};
  const list: Record<string, string[]> = {};
  for (const ip of Object.keys(PINNED)) {
    const p = await stack.get<{ techniques: TechniqueRef[] }>(`/attackers/${ip}`);
    profile[ip] = sorted(p.techniques.map((t) => t.sub_technique_id ?? t.technique_id));
    list[ip] = attackers.find((a) => a.ip === ip)?.technique_ids ?? ['(no row)'];
  }
  return { profile, list };
}

/**
 * Polls `read` until `done` holds (a failed read, e.g. a 404 before correlate has the
 * attacker, is a reading that does not), then returns the reading; after the safety limit,
 * the last good reading, so that the assertion shows the difference.
 */
async function settled<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  let failed: unknown;
  try {
    return await pollFor(async () => {
      try {
        last = await read();
      } catch (err) {
        failed = err;
        return undefined;
      }
      return done(last) ? last : undefined;
    }, what);
  } catch (err) {
    if (last === undefined) throw failed ?? err;
    return last;
  }
}

describe('decnet demo: the pinned techniques', () => {
  it('gives each example attacker exactly its pinned techniques, at /ttp/tags and in the attacker API', async () => {
    const stack = await stacks.start();
    await stack.ttpReady();
    const demo = stacks.run(['demo', '--pace', '0'], stack.env);
    expect(await demo.exited).toBe(0);
    // correlate's reuse finding is what R0004 (T1110.004) reads
    await pollFor(async () => ((await stack.get<{ total: number }>('/credential-reuse')).total === 1 ? true : undefined), 'the credential-reuse finding');

    expect(await settled(() => fromTags(stack), same, 'the pinned techniques at /ttp/tags')).toEqual(PINNED);
    // nothing more comes once the worker has read everything there is
    const caughtUp = Date.now();
    await pollFor(async () => {
      const { workers } = await stack.get<{ workers: Array<{ name: string; last_heartbeat_ts: string; extra: Record<string, unknown> }> }>('/workers');
      const ttp = workers.find((w) => w.name === 'ttp');
      return ttp && Date.parse(ttp.last_heartbeat_ts) > caughtUp && ttp.extra.lag_logs === 0 && ttp.extra.lag_journal === 0 ? true : undefined;
    }, 'the ttp worker with nothing left to read');
    expect(await fromTags(stack)).toEqual(PINNED);

    const api = await settled(() => fromAttackerApi(stack), (v) => same(v.profile) && same(v.list), 'the pinned techniques in the attacker API');
    expect(api.profile).toEqual(PINNED);
    expect(api.list).toEqual(PINNED);
    expect(await stack.stop()).toBe(0);
  }, 90_000);
});
