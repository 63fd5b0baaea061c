import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestInfo } from '../core/types.ts';
import { admitThen } from './admit.ts';
import type { Admission, Gate } from './types.ts';

const request = new Request('http://lb.test/x');
const gate = (a: Admission | Promise<Admission> | (() => Admission)): Gate => ({ admit: () => (typeof a === 'function' ? a() : a) });

/** A place counter: +1 on admit, -1 on release. */
function place(log: string[], name: string): Gate {
  return gate(() => {
    log.push(`take ${name}`);
    return { release: () => log.push(`give ${name}`) };
  });
}

describe('admitThen', () => {
  it('synchronous gates hand the request on in the same tick', () => {
    let called = false;
    void admitThen([gate({}), gate({})], request, { clientIp: '1' }, 0, async () => {
      called = true;
      return new Response('ok');
    });
    assert.equal(called, true);
  });

  it('a refusal answers, gives back places taken before it, and settles the request', async () => {
    const log: string[] = [];
    let settled = 0;
    const refused = new Response('no', { status: 429 });
    const res = await admitThen([place(log, 'a'), gate({ refused }), place(log, 'b')], request, { clientIp: '1', settled: () => settled++ }, 0, async () => assert.fail('not reached'));
    assert.equal(res, refused);
    assert.deepEqual(log, ['take a', 'give a']);
    assert.equal(settled, 1);
  });

  it('places are given back once, when the request settles, then the outer settled', async () => {
    const log: string[] = [];
    let inner: RequestInfo | undefined;
    await admitThen([place(log, 'a'), place(log, 'b')], request, { clientIp: '1', settled: () => log.push('outer') }, 0, async (i) => {
      inner = i;
      return new Response('ok');
    });
    assert.deepEqual(log, ['take a', 'take b']);
    inner!.settled!();
    inner!.settled!();
    assert.deepEqual(log, ['take a', 'take b', 'give a', 'give b', 'outer']);
  });

  it('waits for a gate that answers with a promise, and goes on after it', async () => {
    const log: string[] = [];
    const res = await admitThen([Promise.resolve({}), place(log, 'b')].map((g) => ('admit' in g ? g : gate(g as Promise<Admission>))), request, { clientIp: '1' }, 0, async () => new Response('ok'));
    assert.equal(await res.text(), 'ok');
    assert.deepEqual(log, ['take b']);
  });

  it('appends the gates\' headers (several limits make a list), copying a response whose headers are immutable', async () => {
    const h = (v: string): Admission => ({ headers: [['ratelimit', v]] });
    const res = await admitThen([gate(h('"a";r=1')), gate(h('"b";r=2'))], request, { clientIp: '1' }, 0, async () => new Response('ok', { headers: { ratelimit: '"backend";r=9' } }));
    assert.equal(res.headers.get('ratelimit'), '"backend";r=9, "a";r=1, "b";r=2');
    const frozen = Response.redirect('http://lb.test/elsewhere', 302);
    const copied = await admitThen([gate(h('"a";r=1'))], request, { clientIp: '1' }, 0, async () => frozen);
    assert.equal(copied.headers.get('ratelimit'), '"a";r=1');
  });

  it('a gate or the handler that throws gives back the places taken', async () => {
    const log: string[] = [];
    await assert.rejects(admitThen([place(log, 'a'), gate(() => { throw new Error('gate broke'); })], request, { clientIp: '1' }, 0, async () => new Response('ok')), /gate broke/);
    assert.deepEqual(log, ['take a', 'give a']);
    log.length = 0;
    await assert.rejects(admitThen([place(log, 'a')], request, { clientIp: '1' }, 0, async () => { throw new Error('handler broke'); }), /handler broke/);
    assert.deepEqual(log, ['take a', 'give a']);
  });
});
