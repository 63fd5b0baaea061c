import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inAnyRange, parseCidr, parseIp } from './cidr.ts';

const hex = (b: Uint8Array | undefined) => (b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : undefined);

describe('parseIp', () => {
  const table: Array<[string, string | undefined]> = [
    ['127.0.0.1', '00000000000000000000ffff7f000001'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1::8', '00010000000000000000000000000008'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['[::1]', '00000000000000000000000000000001'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['1:2', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    [':::', undefined],
    ['1::2::3', undefined],
    ['', undefined],
    ['example.com', undefined],
  ];
  for (const [text, want] of table) it(JSON.stringify(text), () => assert.equal(hex(parseIp(text)), want));
});

describe('parseCidr and inAnyRange', () => {
  it('refuses prefixes past the address family and non-numbers', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '1.2.3.4/x', '1.2.3.4/', 'x/8']) assert.equal(parseCidr(bad), undefined, bad);
  });
  const inside = inAnyRange(['10.0.0.0/8', '::1', '2001:db8::/32', '192.168.1.128/25']);
  const table: Array<[string, boolean]> = [
    ['10.1.2.3', true],
    ['::ffff:10.9.9.9', true],
    ['11.0.0.1', false],
    ['::1', true],
    ['::2', false],
    ['2001:db8:ffff::1', true],
    ['2001:db9::1', false],
    ['192.168.1.200', true],
    ['192.168.1.127', false],
    ['not an address', false],
  ];
  for (const [ip, want] of table) it(`${ip} → ${want}`, () => assert.equal(inside(ip), want));
  it('0.0.0.0/0 holds every IPv4 address and no IPv6 one', () => {
    const all = inAnyRange(['0.0.0.0/0']);
    assert.equal(all('203.0.113.9'), true);
    assert.equal(all('2001:db8::1'), false);
  });
  it('no ranges: nobody is exempt', () => assert.equal(inAnyRange([])('127.0.0.1'), false));
});
