import { startMiniflare } from '../fixtures/worker.ts';
import { runConformance, type Starter } from './suite.ts';

const workerd: Starter = async (config) => {
  const { mf, url } = await startMiniflare(config);
  return {
    url,
    port: Number(new URL(url).port),
    child: undefined as never,
    output: () => '',
    stop: async () => {
      await mf.dispose();
      return 0;
    },
  };
};

runConformance('workerd (Durable Object state)', workerd, {
  config: { storage: 'durable_object' },
  skip: {
    gzipPassthrough: "workerd's fetch decodes gzip/br bodies; the balancer drops Content-Encoding so the body is never corrupt",
    graceful: 'a Worker has no process to signal; the runtime drains requests itself',
    badHost: "workerd's own HTTP server answers these (500, or 400 without Host) before any Worker code runs; on Cloudflare the edge handles them",
    clientAbort:
      "Miniflare's entry worker does not pass a client disconnect on to the Worker (request.signal never fires there, even with the enable_request_signal flag that wrangler.toml sets for Cloudflare)",
  },
});
