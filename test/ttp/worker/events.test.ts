import { describe, expect, it } from 'vitest';
import type { NewTtpTag } from '../../../src/db/index.js';
import { eventsForNewTags } from '../../../src/ttp/worker/events.js';
import { tag } from '../../api/ttp-support.js';

/** Shadow-file tags of 198.51.100.23 by default (R0014, T1003.008, confidence 0.95). */
const shadow = (over: Partial<NewTtpTag> = {}): NewTtpTag => tag('T1003.008', { s: 0, rule_id: 'R0014', confidence: 0.95, ...over });

describe('ttp events for new tags (ttp.md §7.1–§7.2)', () => {
  it('publishes nothing for no new tags (the loop-prevention invariant)', () => {
    expect(eventsForNewTags([])).toEqual([]);
  });

  it('gives the exact ttp.tagged and ttp.rule.fired payloads of the spec example', () => {
    const t = shadow({ id: '8657bbf0-ea92-5135-bee5-9f8913b25271', session_id: 'c0ffee01' });
    expect(eventsForNewTags([t])).toEqual([
      {
        topic: 'ttp.tagged',
        payload: { attacker_ip: '198.51.100.23', attacker_uuid: null, identity_uuid: null, session_id: 'c0ffee01', tag_uuids: [t.id], techniques_added: ['T1003.008'], rule_ids: ['R0014'], count: 1 },
      },
      {
        topic: 'ttp.rule.fired.T1003',
        payload: { technique_id: 'T1003', sub_technique_ids: ['T1003.008'], tactic_ids: ['TA0006'], tag_uuids: [t.id], rule_ids: ['R0014'], attacker_ip: '198.51.100.23', attacker_uuid: null, identity_uuid: null, session_id: 'c0ffee01', max_confidence: 0.95 },
      },
    ]);
  });

  it('groups by subject and gives one rule.fired per parent technique, sorted and de-duplicated', () => {
    const a1 = tag('T1110', { s: 0, rule_id: 'R0002', confidence: 0.6 });
    const a2 = tag('T1110.001', { s: 0, rule_id: 'R0001', confidence: 0.8 });
    const a3 = shadow();
    const b = tag('T1190', { s: 0, attacker_ip: '203.0.113.7', rule_id: 'R0020', tactic_id: 'TA0001' });
    const events = eventsForNewTags([a1, b, a2, a3]);
    expect(events.map((e) => e.topic)).toEqual(['ttp.tagged', 'ttp.rule.fired.T1003', 'ttp.rule.fired.T1110', 'ttp.tagged', 'ttp.rule.fired.T1190']);
    const first = events[0]?.payload;
    expect(first).toMatchObject({ attacker_ip: '198.51.100.23', tag_uuids: [a1.id, a2.id, a3.id], techniques_added: ['T1003.008', 'T1110', 'T1110.001'], rule_ids: ['R0001', 'R0002', 'R0014'], count: 3 });
    expect(events[2]?.payload).toMatchObject({ technique_id: 'T1110', sub_technique_ids: ['T1110.001'], tag_uuids: [a1.id, a2.id], rule_ids: ['R0001', 'R0002'], max_confidence: 0.8 });
  });

  it('keeps linked and unlinked tags of one address apart (a different subject)', () => {
    const events = eventsForNewTags([shadow(), shadow({ attacker_uuid: '6f1c2a3b-0000-4000-8000-000000000001' })]);
    expect(events.filter((e) => e.topic === 'ttp.tagged')).toHaveLength(2);
  });

  it('splits a group above 500 tag ids', () => {
    const many = Array.from({ length: 1201 }, () => shadow());
    const tagged = eventsForNewTags(many).filter((e) => e.topic === 'ttp.tagged');
    expect(tagged.map((e) => e.payload.count)).toEqual([500, 500, 201]);
    expect(tagged.flatMap((e) => e.payload.tag_uuids as string[])).toEqual(many.map((t) => t.id));
  });
});
