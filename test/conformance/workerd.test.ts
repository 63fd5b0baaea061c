import { startMiniflare } from '../fixtures/worker.ts';
import { runAdminGuardConformance } from './admin-guard-suite.ts';
import { runAdminInputConformance } from './admin-input-suite.ts';
import { runBackendsConformance } from './backends-suite.ts';
import { runConnectionsConformance } from './connections-suite.ts';
import { runServicesConformance } from './services-suite.ts';
import { runShedConformance } from './shed-suite.ts';
import { runConformance, type Starter, type SuiteOptions } from './suite.ts';
import { runQueueConformance } from './queue-suite.ts';
import { runRateLimitConformance } from './rate-limit-suite.ts';
import { runWebSocketConformance } from './websocket-suite.ts';

/**
 * The Worker in workerd. With `cronEveryMs`, the scheduled handler is fired that
 * often, as a cron trigger would (Cloudflare's shortest is a minute; the suite's
 * health interval is 0.2 s).
 */
const workerd = (cronEveryMs?: number): Starter => async (config) => {
  const { mf, url } = await startMiniflare(config);
  const timer = cronEveryMs
    ? setInterval(() => void mf.getWorker().then((w) => w.scheduled({ cron: '* * * * *' })).catch(() => {}), cronEveryMs)
    : undefined;
  return {
    url,
    port: Number(new URL(url).port),
    child: undefined as never,
    output: () => '',
    stop: async () => {
      clearInterval(timer);
      await mf.dispose();
      return 0;
    },
  };
};

const skip: SuiteOptions['skip'] = {
  gzipPassthrough: "workerd's fetch decodes gzip/br bodies; the balancer drops Content-Encoding so the body is never corrupt",
  graceful: 'a Worker has no process to signal; the runtime drains requests itself',
  badHost: "workerd's own HTTP server answers these (500, or 400 without Host) before any Worker code runs; on Cloudflare the edge handles them",
  clientAbort:
    "Miniflare's entry worker does not pass a client disconnect on to the Worker (request.signal never fires there, even with the enable_request_signal flag that wrangler.toml sets for Cloudflare)",
};

runConformance('workerd (Durable Object state)', workerd(), { config: { storage: 'durable_object' }, skip });
runConformance('workerd (KV state, rounds by cron)', workerd(200), { config: { storage: 'kv' }, skip });
runServicesConformance('workerd (Durable Object state)', workerd(), { storage: 'durable_object' });
runServicesConformance('workerd (KV state, rounds by cron)', workerd(200), { storage: 'kv' });
runShedConformance('workerd (Durable Object state)', workerd(), { storage: 'durable_object' });
runShedConformance('workerd (KV state)', workerd(), { storage: 'kv' });
runAdminGuardConformance('workerd', workerd(), { skip: { hostNames: 'a Worker needs a token for every write, and Cloudflare delivers it only the requests for its own host names' }, dotsResolvedByServer: "workerd resolves dot segments (a '..' above the root at the root) before the Worker sees the URL" });
runBackendsConformance('workerd', workerd(), 'workerd', { storage: 'durable_object' });
// Client connections end at workerd's own HTTP server (on Cloudflare, at the edge) before any Worker code runs.
runConnectionsConformance('workerd', workerd(), {
  config: { storage: 'durable_object' },
  skip: {
    headerTimeout: "a Worker cannot set how long a request head may take: workerd keeps a connection with half a head open, Cloudflare's edge applies its own limit",
    idleTimeout: "a Worker cannot set the idle timeout: workerd closes an idle connection after its own 5 s or so, Cloudflare's edge after its own",
    maxConnections: "a Worker cannot limit connections: workerd accepts them, Cloudflare's edge scales them",
    duplicateHost: 'workerd answers two Host headers with its own 500 before any Worker code runs',
    missingHost: 'workerd answers a request without Host with its own 400 before any Worker code runs, on HTTP/1.0 too',
  },
});
runAdminInputConformance('workerd', workerd(), { storage: 'durable_object' });
runQueueConformance('workerd', workerd(), { config: { storage: 'durable_object' }, skip: { clientAbort: skip?.clientAbort } });
runRateLimitConformance('workerd', workerd(), { config: { storage: 'durable_object' }, skip: { clientAbort: skip?.clientAbort, midBody: "Miniflare's entry worker does not cancel the Worker's response stream when the client goes mid-body, so the balancer never learns there that the request is done" } });
// The Worker returns the backend's 101 unchanged: workerd carries the socket, the balancer never sees it.
const unseen = 'the Worker passes the upstream 101 on unchanged: workerd carries the socket and the balancer never sees it';
runWebSocketConformance('workerd', workerd(), {
  config: { storage: 'durable_object' },
  skip: {
    memory: 'workerd runs inside the test process (Miniflare): there is no balancer process to sample; Cloudflare scales sockets itself',
    openCount: `${unseen}, so it is not counted (open_websockets stays 0)`,
    leastConnections: `${unseen}, so an open socket is no load`,
    drain: `${unseen}, so it cannot close it on drain`,
    idle: `${unseen}: Cloudflare closes idle sockets itself`,
    maxMessage: `${unseen}: Cloudflare's own message limit applies`,
    backendKilled: `${unseen}: workerd tells the client 1006 when the backend drops`,
  },
});
