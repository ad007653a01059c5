/**
 * The conformance suite on the nats transport, against the real nats-server
 * (127.0.0.1:4222 here; DECNET_TEST_NATS_URL elsewhere). Every case already uses a
 * subject root of its own; the durable-topics stream is off, so this file leaves no
 * JetStream state behind.
 */
import { NatsBus } from '../../../src/bus/index.js';
import { requireNats, NATS_URL, testStream, uniq } from '../../support/nats.js';
import { runBusConformance } from './suite.js';

await requireNats();

runBusConformance('nats', () => ({
  capabilities: { delivers: true, keepsIds: true },
  create: (opts) => new NatsBus({ ...opts, servers: NATS_URL, stream: { ...testStream(uniq('conf')), patterns: [] } }),
}));
