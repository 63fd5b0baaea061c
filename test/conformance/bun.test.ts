import { runAdminGuardConformance } from './admin-guard-suite.ts';
import { runBackendsConformance } from './backends-suite.ts';
import { runServicesConformance } from './services-suite.ts';
import { processStarter, runConformance } from './suite.ts';

runConformance('bun', processStarter('bun'));
runServicesConformance('bun', processStarter('bun'));
runAdminGuardConformance('bun', processStarter('bun'), { dotsResolvedByServer: "Bun.serve resolves dot segments (a '..' above the root at the root) before the app sees the URL" });
runBackendsConformance('bun', processStarter('bun'), 'bun');
