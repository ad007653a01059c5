/**
 * The body (RFC 8785 canonical JSON, `ts` with six digits) and both signature schemes,
 * checked against the official `standardwebhooks` library and against HMAC by hand.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError, deliveryHeaders, isoMicros, parseRetryAfter, RetrySchedule, standardWebhooksSecret, webhookBody } from '../../src/webhook/index.js';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys recursively by UTF-16 code units, drops whitespace, keeps non-ASCII literal', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: null }], c: 'é☃' }, '€': true, '\u00e9': false })).toBe('{"a":{"c":"é☃","d":[3,{"y":null,"z":1}]},"b":1,"é":false,"€":true}');
    // RFC 8785 §3.2.3: UTF-16 order puts U+1F600 (surrogates D83D…) before U+FB33
    expect(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2 })).toBe('{"😀":2,"דּ":1}');
  });

  it('writes numbers in their shortest ECMAScript form and escapes only what JSON must', () => {
    expect(canonicalJson([0, -0, 1e21, 1e-7, 123.456, Number.MIN_VALUE, 2 ** 53])).toBe('[0,0,1e+21,1e-7,123.456,5e-324,9007199254740992]');
    expect(canonicalJson('a"b\\c\n\t\u0001\u007f/')).toBe('"a\\"b\\\\c\\n\\t\\u0001\u007f/"');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ x: 1n })).toThrow(CanonicalJsonError);
  });

  it('is a fixed point of parse-and-canonicalise, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canonicalJson(v);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
        expect(JSON.parse(once)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });

  it('builds identical body bytes from identical input, ts rounded to the microsecond', () => {
    const event = { id: 'a'.repeat(32), topic: 'ttp.tagged', type: 'tagged', ts: 1_796_000_000.1234567, payload: { z: 1, a: [1, 2] } };
    const body = webhookBody(event);
    expect(body).toBe(`{"id":"${'a'.repeat(32)}","payload":{"a":[1,2],"z":1},"topic":"ttp.tagged","ts":"2026-11-30T00:53:20.123457Z","type":"tagged","v":1}`);
    expect(webhookBody({ ...event, payload: { a: [1, 2], z: 1 } })).toBe(body);
    expect(isoMicros(1.0000005)).toBe('1970-01-01T00:00:01.000001Z');
    expect(isoMicros(1.9999996)).toBe('1970-01-01T00:00:02.000000Z');
  });
});

describe('signatures', () => {
  const body = Buffer.from(webhookBody({ id: 'b'.repeat(32), topic: 'credential.captured', type: 'captured', ts: 1_796_000_000, payload: { user: 'root' } }));
  const nowMs = 1_796_000_123_456;

  it('verifies with the official Standard Webhooks library given whsec_ + base64 of the UTF-8 secret', () => {
    const secret = 'pässwörd-of-the-receiver';
    const headers = deliveryHeaders({ eventId: 'b'.repeat(32), topic: 'credential.captured', body, secrets: { current: secret }, nowMs });
    expect(headers['webhook-timestamp']).toBe('1796000123');
    expect(headers['X-DECNET-Timestamp']).toBe('1796000123');
    const wh = new Webhook(standardWebhooksSecret(secret));
    expect(headers['webhook-signature']).toBe(wh.sign('b'.repeat(32), new Date(1_796_000_123_000), body.toString()));
    expect(headers['X-DECNET-Signature']).toBe(`sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`);
  });

  it('signs with both secrets inside the rotation window, the new one first', () => {
    const secrets = { current: 'new-secret-0123456789', previous: 'old-secret-0123456789', previousExpiresAtMs: nowMs + 1 };
    const during = deliveryHeaders({ eventId: 'c'.repeat(32), topic: 't.x', body, secrets, nowMs });
    const [newSig, oldSig] = during['webhook-signature']!.split(' ');
    expect(newSig).toBe(new Webhook(standardWebhooksSecret('new-secret-0123456789')).sign('c'.repeat(32), new Date(nowMs), body.toString()));
    expect(oldSig).toBe(new Webhook(standardWebhooksSecret('old-secret-0123456789')).sign('c'.repeat(32), new Date(nowMs), body.toString()));
    expect(during['X-DECNET-Signature']!.split(', ')).toHaveLength(2);
    const after = deliveryHeaders({ eventId: 'c'.repeat(32), topic: 't.x', body, secrets, nowMs: nowMs + 1 });
    expect(after['webhook-signature']).toBe(newSig); // same second: the same single entry
    expect(after['X-DECNET-Signature']!.split(', ')).toHaveLength(1);
  });
});

describe('retry schedule', () => {
  const schedule = new RetrySchedule({ fastRetrySecs: [1, 2, 4], durableRetrySecs: [30, 300, 1800, 7200, 21_600], retryAfterMaxSecs: 3600 }, () => 0.5);

  it('is nine attempts: three fast retries pending, five durable ones failed, then dead', () => {
    const steps = Array.from({ length: 9 }, (_, i) => schedule.afterRetryable(i + 1, 0));
    expect(steps.map((s) => s.state)).toEqual(['pending', 'pending', 'pending', 'failed', 'failed', 'failed', 'failed', 'failed', 'dead']);
    expect(steps.map((s) => s.nextAttemptAtMs)).toEqual([1000, 2000, 4000, 30_000, 300_000, 1_800_000, 7_200_000, 21_600_000, null]);
    expect(schedule.maxAttempts).toBe(9);
    expect([1, 4, 5].map((n) => schedule.beforeFirstFailure(n))).toEqual([true, true, false]);
  });

  it('jitters each delay within ×[0.8, 1.2] and lets Retry-After push, never pull, the next attempt', () => {
    expect(new RetrySchedule({ fastRetrySecs: [10], durableRetrySecs: [], retryAfterMaxSecs: 60 }, () => 0).afterRetryable(1, 0).nextAttemptAtMs).toBe(8000);
    expect(new RetrySchedule({ fastRetrySecs: [10], durableRetrySecs: [], retryAfterMaxSecs: 60 }, () => 0.999999).afterRetryable(1, 0).nextAttemptAtMs).toBe(12_000);
    expect(schedule.afterRetryable(1, 0, 500).nextAttemptAtMs).toBe(1000);
    expect(schedule.afterRetryable(1, 0, 7_200_000).nextAttemptAtMs).toBe(3_600_000);
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(90_000).toUTCString(), 0)).toBe(90_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
