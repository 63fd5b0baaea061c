/**
 * Request bodies the balancer buffers for replay are freed once their exchange
 * is over: POSTs through the Node entry's server and transport, then a full
 * garbage collection, leave far less buffer memory than the bodies sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { startNodeBalancer, type NodeBalancer } from './fixtures/node-balancer.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const BODY = 32 * 1024;
const REQUESTS = 1500;
/** What was sent is 1500 × 32 KiB = 47 MiB (twice that buffered with the replay copy); what may stay is a small fraction. */
const LIMIT = 16 * 1024 * 1024;

describe('buffered request bodies are not kept after their exchange (Node server, undici transport)', { timeout: 60_000 }, () => {
  let lb: NodeBalancer;
  let agent: Agent;
  before(async () => {
    lb = await startNodeBalancer();
    agent = new Agent({ connections: 4 });
  });
  after(async () => {
    await agent.close();
    await lb.close();
  });

  it(`${REQUESTS} POSTs of ${BODY / 1024} KiB leave under ${LIMIT / 1024 / 1024} MiB of buffers`, async () => {
    const body = Buffer.alloc(BODY, 'x');
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next++ < REQUESTS) {
          const r = await request(`http://127.0.0.1:${lb.port}/echo`, { method: 'POST', body, dispatcher: agent });
          assert.equal(r.statusCode, 200);
          await r.body.dump();
        }
      }),
    );
    lb.backend.hits.paths.length = 0;
    // Two collections with a turn between them, so finalizers that release held values run.
    gc();
    await new Promise((r) => setTimeout(r, 50));
    gc();
    const { arrayBuffers } = process.memoryUsage();
    assert.ok(arrayBuffers < LIMIT, `${(arrayBuffers / 1024 / 1024).toFixed(1)} MiB of buffers still held after ${REQUESTS} requests`);
  });
});
