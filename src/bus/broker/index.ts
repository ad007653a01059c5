/**
 * The host-local broker (`decnet bus`, spec/bus.md §3): start one, read its figures, and
 * the two in-process seams the NATS bridge uses.
 */
export {
  BROKER_VERSION,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_PENDING_FRAMES,
  DEFAULT_SLOW_CONSUMER_MS,
  SHUTDOWN_FLUSH_MS,
  startBroker,
  type Broker,
  type BrokerOptions,
} from './server.js';
export { BUS_CONTROL_TOPIC, BUS_HEALTH_TOPIC, BUS_HEALTH_TYPE, DEFAULT_HEARTBEAT_MS } from './heartbeat.js';
export { SERVER_HELLO_NAME, DEFAULT_MAX_PATTERNS, type RefusalCode } from './protocol.js';
export { BrokerStartError, probeSocket, SOCKET_MODE, type ProbeResult } from './socket-path.js';
export type { BrokerStats, BusHealth } from './stats.js';
export type { ConnectionRow } from './connection.js';
