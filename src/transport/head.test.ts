import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEAD_LIMIT_BYTES, HEADER_FIELDS_LIMIT, headFault, kib } from './head.ts';

const lines = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']);
/** One field making the whole head (status line "HTTP/1.1 200 OK") exactly `bytes` long. */
const headOf = (bytes: number): Array<[string, string]> => [['x-big', 'a'.repeat(bytes - 'HTTP/1.1 200 OK\r\n\r\n'.length - 'x-big: \r\n'.length)]];

describe('headFault: what a response head gets wrong', () => {
  const table: Array<[string, number, Array<[string, string]>, string | undefined]> = [
    ['a plain 200', 200, [['content-type', 'text/plain'], ['content-length', '2']], undefined],
    ['599 is the last status a Response can carry', 599, [], undefined],
    ['999', 999, [], 'status 999, outside 200-599'],
    ['600', 600, [], 'status 600, outside 200-599'],
    ['101 handed on as final (Deno, workerd)', 101, [['upgrade', 'x']], 'status 101, outside 200-599'],
    ['100 handed on as final (workerd)', 100, [], 'status 100, outside 200-599'],
    ['99 (Bun, workerd)', 99, [], 'status 99, outside 200-599'],
    [`${HEADER_FIELDS_LIMIT} fields pass`, 200, lines(HEADER_FIELDS_LIMIT), undefined],
    [`${HEADER_FIELDS_LIMIT + 1} fields`, 200, lines(HEADER_FIELDS_LIMIT + 1), `101 response header fields, over the limit of ${HEADER_FIELDS_LIMIT}`],
    ['a head of exactly 64 KiB passes', 200, headOf(HEAD_LIMIT_BYTES), undefined],
    ['a byte more', 200, headOf(HEAD_LIMIT_BYTES + 1), 'a response head of 65537 bytes, over the 64 KiB limit'],
    ['1 MiB of one header (Bun passed it on)', 200, headOf(1024 * 1024), 'a response head of 1048576 bytes, over the 64 KiB limit'],
    ['Content-Length and Transfer-Encoding', 200, [['content-length', '3'], ['transfer-encoding', 'chunked']], 'both Content-Length and Transfer-Encoding, so its body has two lengths'],
    ['the same, names in any case, either order', 200, [['Transfer-Encoding', 'chunked'], ['Content-Length', '3']], 'both Content-Length and Transfer-Encoding, so its body has two lengths'],
    ['Transfer-Encoding alone', 200, [['transfer-encoding', 'chunked']], undefined],
  ];
  for (const [name, status, fields, want] of table) {
    it(name, () => assert.equal(headFault(status, 'OK', fields), want));
  }

  it('reads a Headers object as the fetch transport hands it', () => {
    const h = new Headers([['content-length', '3'], ['transfer-encoding', 'chunked']]);
    assert.match(headFault(200, 'OK', h) ?? '', /both Content-Length and Transfer-Encoding/);
    const cookies = new Headers();
    for (let i = 0; i <= HEADER_FIELDS_LIMIT; i++) cookies.append('set-cookie', `c${i}=1`);
    assert.match(headFault(200, 'OK', cookies) ?? '', /^101 response header fields/, 'each Set-Cookie counts');
  });

  it('kib', () => assert.deepEqual([kib(65536), kib(1049000), kib(1536)], ['64 KiB', '1024.4 KiB', '1.5 KiB']));
});
