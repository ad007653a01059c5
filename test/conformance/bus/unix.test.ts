import { afterAll } from 'vitest';
import { startBroker, type Broker } from '../../../src/bus/broker/index.js';
import { UnixBus } from '../../../src/bus/index.js';
import { tempSocketPath } from '../../support/v1-broker.js';
import { runBusConformance } from './suite.js';

let broker: Broker | undefined;
afterAll(async () => {
  await broker?.close();
});

runBusConformance('unix', async () => {
  broker = await startBroker({ socketPath: tempSocketPath('conf') });
  const socketPath = broker.socketPath;
  return {
    capabilities: { delivers: true, keepsIds: false },
    create: (opts) => new UnixBus({ ...opts, socketPath }),
  };
});
