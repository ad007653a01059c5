/**
 * Webhook egress (eventplane.md §4): the SSRF guard, the signer, the canonical body, a
 * one-shot delivery (the API's test ping), subscription patterns and secrets, and the
 * worker. Other folders import `src/webhook` only through this file.
 */
export { WebhookUrlGuard, UrlRefusedError, AddressPolicyCheck, parseWebhookUrl, embeddedIPv4, systemResolver, DENIED_IPV4, DENIED_IPV6, type HostResolver, type CheckedTarget, type GuardOptions, type AddressPolicy, type RefusalReason } from './ssrf-guard.js';
export { parseCidr, parseIp, cidrContains, type Cidr, type ParsedIp } from './cidr.js';
export { PinnedAgent, PinnedConnectError, type ConnectHook, type ConnectTarget, type PinnedAgentOptions } from './pinned-agent.js';
export { canonicalJson, webhookBody, isoMicros, CanonicalJsonError, type BodyEvent } from './body.js';
export { deliveryHeaders, standardSignature, decnetSignature, activeSecrets, standardWebhooksSecret, USER_AGENT, ROTATION_OVERLAP_MS, type SigningSecrets, type SignRequest } from './signing.js';
export { attemptDelivery, deliverTestPing, classifyStatus, describeError, MAX_ERROR_CHARS, type AttemptOutcome, type AttemptContext, type AttemptInput, type PingResult } from './delivery.js';
export { RetrySchedule, parseRetryAfter, type RetrySettings, type FailureStep } from './schedule.js';
export { CircuitBreaker, type CircuitFields, type CircuitSettings, type CircuitState } from './circuit.js';
export { buildPatterns, notDurablePatterns, webhookWarnings, PatternError, SIMPLE_EVENTS, MAX_ADVANCED_PATTERNS } from './patterns.js';
export { sealSecret, openSecret, openSubscriptionSecrets, rotateSecret, generateSecret, secretProblem, SECRET_MIN_BYTES, SECRET_MAX_BYTES } from './secrets.js';
export { DeliveryOutbox, ROW_EXPIRY_MS, LEASE_MS, type AttemptResult } from './outbox.js';
export { JOURNAL_CURSOR } from './journal-feed.js';
export { WebhookStats } from './stats.js';
export { runWebhook, leaseHolder, isGoneLocalHolder, type WebhookWorkerDeps } from './worker.js';
export { webhookWorker } from './definition.js';
