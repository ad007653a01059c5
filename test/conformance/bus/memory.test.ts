import { MemoryBus, MemoryHub } from '../../../src/bus/index.js';
import { runBusConformance } from './suite.js';

runBusConformance('memory', () => {
  const hub = new MemoryHub();
  return {
    capabilities: { delivers: true, keepsIds: true },
    create: (opts) => new MemoryBus({ ...opts, hub }),
  };
});
