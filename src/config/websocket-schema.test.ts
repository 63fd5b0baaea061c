import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from './validate.ts';
import { WEBSOCKET_DEFAULTS } from './websocket-schema.ts';

describe('websocket settings in a config file', () => {
  const check = (raw: unknown) => validateConfig(raw, () => 'c.json');

  it('defaults when absent; a service inherits the top level field by field', () => {
    const r = check({ servers: [], websocket: { drain_timeout: 5, idle_timeout: '90s' }, services: { chat: { servers: [], websocket: { max_message_bytes: '1MiB' } } } });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.websocket, { ...WEBSOCKET_DEFAULTS, drainTimeoutMs: 5000, idleTimeoutMs: 90_000 });
    assert.deepEqual(r.config.services[0].websocket, { drainTimeoutMs: 5000, drainSpreadMs: 10_000, idleTimeoutMs: 90_000, maxMessageBytes: 1024 * 1024 });
    const none = check({ servers: [] });
    assert.ok(none.ok);
    assert.deepEqual(none.config.websocket, WEBSOCKET_DEFAULTS);
  });

  it('idle_timeout 0 turns the idle close off', () => {
    const r = check({ websocket: { idle_timeout: 0 } });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.config.websocket.idleTimeoutMs, 0);
  });

  const bad: Array<[unknown, RegExp]> = [
    [{ websocket: { drain_timeout: 'soon' } }, /websocket\.drain_timeout.*seconds/],
    [{ websocket: { max_message_bytes: 0 } }, /websocket\.max_message_bytes.*at least 1 byte/],
    [{ websocket: { max_message_bytes: 'big' } }, /websocket\.max_message_bytes.*bytes/],
    [{ websocket: { idle: 3 } }, /websocket.*idle/],
    [{ websocket: [] }, /websocket.*must be an object/],
    [{ services: { a: { websocket: { drain_spread: -1 } } } }, /services\.a\.websocket\.drain_spread/],
  ];
  for (const [raw, want] of bad) {
    it(`refuses ${JSON.stringify(raw)}, naming the field`, () => {
      const r = check(raw);
      assert.ok(!r.ok, 'accepted');
      assert.match(r.errors.join('\n'), want);
    });
  }
});
