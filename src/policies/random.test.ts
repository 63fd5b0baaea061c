import { runPolicyTests } from './contract.ts';
import { random } from './random.ts';

runPolicyTests('random', random, { varyBy: 'none', shareTolerance: 0.015 });
