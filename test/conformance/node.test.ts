import { runServicesConformance } from './services-suite.ts';
import { processStarter, runConformance } from './suite.ts';

runConformance('node', processStarter('node'));
runServicesConformance('node', processStarter('node'));
