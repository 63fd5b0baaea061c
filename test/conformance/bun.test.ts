import { processStarter, runConformance } from './suite.ts';

runConformance('bun', processStarter('bun'));
