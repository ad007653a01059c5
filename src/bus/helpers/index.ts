export { publishSafely, safePublishFailures, type SafeOptions } from './publish-safely.js';
export { runHeartbeat, DEFAULT_HEARTBEAT_MS, type HeartbeatOptions } from './heartbeat.js';
export { runControlListener, type ControlOptions } from './control.js';
export { wakeOn, type WakeReason, type WakeOptions } from './wake-on.js';
