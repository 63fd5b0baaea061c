/** Run by test/transport/runtimes.test.ts with `bun test`: the Transport contract on Bun's own fetch. */
import { runTransportTests } from '../../src/transport/contract.ts';
import { fetchTransport } from '../../src/transport/fetch.ts';
import { IN_RUNTIME } from './runtimes.ts';

const { name, options, expectations } = IN_RUNTIME.bun;
runTransportTests(name, () => fetchTransport(options), expectations);
