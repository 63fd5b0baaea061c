/** Run by test/transport/runtimes.test.ts with `deno test`: the Transport contract on Deno's own fetch. */
import { runTransportTests } from '../../src/transport/contract.ts';
import { fetchTransport } from '../../src/transport/fetch.ts';
import { IN_RUNTIME } from './runtimes.ts';

const { name, options, expectations } = IN_RUNTIME.deno;
runTransportTests(name, () => fetchTransport(options), expectations);
