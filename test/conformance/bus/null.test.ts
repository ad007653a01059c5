import { NullBus } from '../../../src/bus/index.js';
import { runBusConformance } from './suite.js';

runBusConformance('null', () => ({
  capabilities: { delivers: false, keepsIds: true },
  create: (opts) => new NullBus(opts),
}));
