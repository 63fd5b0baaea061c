import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, shouldRetry, type RetryInput } from './retry.ts';

const base: RetryInput = {
  method: 'GET',
  idempotencyKey: false,
  failure: 'connect',
  retryOn: { reset: true, timeout: true, statuses: [503] },
  attempts: 1,
  maxAttempts: 3,
  elapsedMs: 0,
  tryDurationMs: 0,
  replayable: true,
  untriedLeft: true,
  budgetLeft: true,
};

describe('shouldRetry', () => {
  const table: Array<[string, Partial<RetryInput>, boolean, RegExp?]> = [
    ['connect error, GET', {}, true],
    ['connect error, POST: it never reached a server', { method: 'POST' }, true],
    ['reset, GET', { failure: 'reset' }, true],
    ['reset, POST', { failure: 'reset', method: 'POST' }, false, /not idempotent/],
    ['timeout, PATCH', { failure: 'timeout', method: 'PATCH' }, false, /not idempotent/],
    ['timeout, POST with Idempotency-Key', { failure: 'timeout', method: 'POST', idempotencyKey: true }, true],
    ['timeout, PUT', { failure: 'timeout', method: 'PUT' }, true],
    ['timeout not in retry_on', { failure: 'timeout', retryOn: { reset: true, timeout: false, statuses: [] } }, false, /retry_on/],
    ['listed status 503, GET', { failure: 503 }, true],
    ['unlisted status 500', { failure: 500 }, false],
    ['listed status, POST', { failure: 503, method: 'POST' }, false, /not idempotent/],
    ['protocol error', { failure: 'protocol' }, false, /invalid response/],
    ['attempts used up', { attempts: 3 }, false, /retries exhausted \(2\)/],
    ['try_duration used up', { elapsedMs: 1500, tryDurationMs: 1000 }, false, /try_duration/],
    ['body not replayable', { replayable: false }, false, /replay buffer/],
    ['no server left', { untriedLeft: false }, false, /no other server/],
    ['retry budget used up', { budgetLeft: false }, false, /retry budget is used up/],
    ['the budget is asked only for what would be retried', { failure: 'reset', method: 'POST', budgetLeft: false }, false, /not idempotent/],
    ['a success stands, with no reason', { failure: 200 }, false, /^$/],
    ['no server could take the first attempt', { failure: 'no_server' }, false, /^no server available$/],
    ['no server left after a failed attempt', { failure: 'no_server', attempts: 2 }, false, /^no other server left to try$/],
    ['the client went away', { failure: 'client_gone' }, false, /client went away/],
  ];
  for (const [name, over, want, reason] of table) {
    it(name, () => {
      const d = shouldRetry({ ...base, ...over });
      assert.equal(d.retry, want);
      if (reason) assert.match(d.reason, reason);
    });
  }
});

describe('backoffMs', () => {
  it('grows exponentially with full jitter and a cap', () => {
    const one = () => 0.999999;
    assert.equal(Math.round(backoffMs(1, 10, 100, one)), 10);
    assert.equal(Math.round(backoffMs(3, 10, 100, one)), 40);
    assert.equal(Math.round(backoffMs(6, 10, 100, one)), 100);
    assert.equal(backoffMs(3, 10, 100, () => 0), 0);
    assert.equal(backoffMs(3, 0, 100, one), 0, 'no base: no delay');
  });
});
