import { runAdminGuardConformance } from './admin-guard-suite.ts';
import { runAdminInputConformance } from './admin-input-suite.ts';
import { runBackendsConformance } from './backends-suite.ts';
import { runConnectionsConformance } from './connections-suite.ts';
import { runServicesConformance } from './services-suite.ts';
import { runShedConformance } from './shed-suite.ts';
import { processStarter, runConformance } from './suite.ts';
import { runQueueConformance } from './queue-suite.ts';
import { runRateLimitConformance } from './rate-limit-suite.ts';
import { runWebSocketConformance } from './websocket-suite.ts';

runConformance('deno', processStarter('deno'), {
  skip: { gzipPassthrough: "Deno's fetch always decodes gzip/br bodies; the balancer drops Content-Encoding so the body is never corrupt" },
});
runServicesConformance('deno', processStarter('deno'));
runAdminGuardConformance('deno', processStarter('deno'));
runBackendsConformance('deno', processStarter('deno'), 'deno');
runConnectionsConformance('deno', processStarter('deno'), {
  skip: { missingHost: "Deno's server does not tell the handler a request's HTTP version, so a request without Host is served as HTTP/1.0's is" },
});
runAdminInputConformance('deno', processStarter('deno'));
runShedConformance('deno', processStarter('deno'));
runQueueConformance('deno', processStarter('deno'));
runRateLimitConformance('deno', processStarter('deno'));
runWebSocketConformance('deno', processStarter('deno'), {
  unsupported: "Deno 2.9.5's per-connection server, which applies header_timeout, idle_timeout and max_connections, closes an upgraded socket as soon as it opens (the relay serves only under plain Deno.serve)",
});
