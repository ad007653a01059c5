import { describe, expect, it } from 'vitest';
import { isEventId, newEventId } from '../../src/bus/envelope.js';

describe('newEventId', () => {
  it('mints random UUIDv4s as 32 lowercase hex digits: version 4, variant 10, none repeated across pool refills', () => {
    const ids = Array.from({ length: 5000 }, () => newEventId()); // about twenty refills of the random pool
    for (const id of ids) {
      expect(isEventId(id)).toBe(true);
      expect(id[12]).toBe('4');
      expect('89ab').toContain(id[16]);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // every other hex digit varies: nothing of the pool's layout leaks into the ids
    for (const position of [0, 11, 13, 15, 17, 31]) expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  });
});
