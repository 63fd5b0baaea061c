import { runConformance } from './suite.ts';

runConformance('bun');
