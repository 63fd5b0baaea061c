import { processStarter, runConformance } from './suite.ts';

runConformance('node', processStarter('node'));
