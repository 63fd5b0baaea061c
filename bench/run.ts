/** `npm run bench` (both), `npm run bench -- policies`, `npm run bench -- proxy`. */
import { runPolicyBench } from './policies.ts';
import { runProxyBench } from './proxy.ts';

const which = process.argv[2];
if (which !== 'proxy') runPolicyBench();
if (which !== 'policies') {
  if (which !== 'proxy') console.log('');
  await runProxyBench();
}
