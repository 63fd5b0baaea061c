/** Entry for Deno: `deno task start`. Everything Deno-specific is in runtime/deno.ts. */
import { runBalancer } from './runtime/process.ts';
import { runtime } from './runtime/deno.ts';

await runBalancer(runtime);
