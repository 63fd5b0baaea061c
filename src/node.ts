/**
 * Entry for Node and Bun: `npm start` (Node), `bun run src/node.ts` (Bun).
 * `#runtime` resolves by the runtime's own import condition (package.json
 * "imports"): runtime/bun.ts under Bun, runtime/node.ts under Node.
 */
import { runtime } from '#runtime';
import { runBalancer } from './runtime/process.ts';

await runBalancer(runtime);
