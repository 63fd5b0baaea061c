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

runConformance('bun', processStarter('bun'));
runServicesConformance('bun', processStarter('bun'));
runAdminGuardConformance('bun', processStarter('bun'), { dotsResolvedByServer: "Bun.serve resolves dot segments (a '..' above the root at the root) before the app sees the URL" });
runBackendsConformance('bun', processStarter('bun'), 'bun');
runConnectionsConformance('bun', processStarter('bun'), {
  // Bun's HTTP parser closes a connection without a whole request head after about 10 s, whatever header_timeout says.
  headerCloseWithinMs: 15_000,
  // Bun's idle timer moves in steps of about 4 s.
  idleCloseWithinMs: 7_000,
  skip: {
    maxConnections: 'Bun.serve keeps no connection count and offers no limit (README: put a limit in front)',
    pipelining:
      'Bun.serve closes the connection when a request is pipelined behind one whose response is still pending (any async handler), up to Bun 1.4.5, the newest; fix proposed in oven-sh/bun#38128',
  },
});
runAdminInputConformance('bun', processStarter('bun'));
runShedConformance('bun', processStarter('bun'));
runQueueConformance('bun', processStarter('bun'));
runRateLimitConformance('bun', processStarter('bun'));
runWebSocketConformance('bun', processStarter('bun'), {
  refusedUpgrade: { status: 502, why: "Bun's WebSocket client does not tell the relay what a backend answered other than 101" },
  skip: { deflateEndToEnd: 'the relay turns permessage-deflate off on both hops (Bun keeps about 200 KiB of zlib state per socket and hop)' },
});
