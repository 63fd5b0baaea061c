/**
 * A client that sends `Expect: 100-continue` (curl does for uploads over 1 MiB)
 * gets the balancer's 100 Continue, then the backend's answer; the backend is
 * not ejected for it. Node's server and the undici transport, as `npm start` runs.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startNodeBalancer, type NodeBalancer } from './fixtures/node-balancer.ts';

/** POSTs `size` bytes with `Expect: 100-continue`, sending the body only after the 100. */
function postExpecting(port: number, size: number): Promise<{ status: number; continued: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/echo', headers: { expect: '100-continue', 'content-length': String(size) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, continued, body }));
    });
    req.on('error', reject);
    req.on('continue', () => {
      continued = true;
      req.end(Buffer.alloc(size, 'x'));
    });
  });
}

describe('Expect: 100-continue through the balancer', () => {
  let lb: NodeBalancer;
  before(async () => {
    lb = await startNodeBalancer();
  });
  after(() => lb.close());

  it('a 2 MiB upload, twice: 100 Continue, then 200 with the whole body at the backend', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await postExpecting(lb.port, 2 * 1024 * 1024);
      assert.equal(r.continued, true);
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body).body_bytes, 2 * 1024 * 1024);
    }
  });
});
