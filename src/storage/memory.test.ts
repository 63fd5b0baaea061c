import { runStoreTests } from './contract.ts';
import { memoryStore } from './memory.ts';

runStoreTests('memory', () => memoryStore());
