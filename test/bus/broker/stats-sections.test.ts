/** In-process parts (the NATS bridge) add their figures to the broker's stats and STATS reply. */
import { describe, expect, it } from 'vitest';
import { fetchStats, formatStats } from '../../../src/cli/bus.js';
import { broker } from './support.js';

describe('broker stats sections', () => {
  it('appear in stats(), in the STATS reply and in the readable summary, and go away when removed', async () => {
    const b = await broker();
    let exported = 0;
    const remove = b.addStatsSection('bridge', () => ({ exported }));
    exported = 7;
    expect(b.stats().extensions).toEqual({ bridge: { exported: 7 } });
    const reply = await fetchStats(b.socketPath);
    expect(reply.extensions).toEqual({ bridge: { exported: 7 } });
    expect(formatStats(reply, b.socketPath)).toMatch(/bridge: exported 7/);
    remove();
    expect(b.stats().extensions).toBeUndefined();
  });
});
