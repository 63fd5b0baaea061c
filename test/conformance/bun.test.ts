import { runServicesConformance } from './services-suite.ts';
import { processStarter, runConformance } from './suite.ts';

runConformance('bun', processStarter('bun'));
runServicesConformance('bun', processStarter('bun'));
