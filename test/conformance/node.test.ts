import { runAdminGuardConformance } from './admin-guard-suite.ts';
import { runAdminInputConformance } from './admin-input-suite.ts';
import { runBackendsConformance } from './backends-suite.ts';
import { runConnectionsConformance } from './connections-suite.ts';
import { runServicesConformance } from './services-suite.ts';
import { runShedConformance } from './shed-suite.ts';
import { processStarter, runConformance } from './suite.ts';
import { runQueueConformance } from './queue-suite.ts';
import { runRateLimitConformance } from './rate-limit-suite.ts';

runConformance('node', processStarter('node'));
runServicesConformance('node', processStarter('node'));
runAdminGuardConformance('node', processStarter('node'), { dotsResolvedByServer: "@hono/node-server resolves dot segments (a '..' above the root at the root) before the app sees the URL" });
runBackendsConformance('node', processStarter('node'), 'undici');
runConnectionsConformance('node', processStarter('node'));
runAdminInputConformance('node', processStarter('node'));
runShedConformance('node', processStarter('node'));
runQueueConformance('node', processStarter('node'));
runRateLimitConformance('node', processStarter('node'));
