/** The fetch transports as the Bun and Deno entries build them (src/runtime/bun.ts, deno.ts), and what the contract expects of each. */
import type { TransportExpectations } from '../../src/transport/contract.ts';
import type { FetchTransportOptions } from '../../src/transport/fetch.ts';
import { BUN_WHOLE_BODY_LIMIT_BYTES } from '../../src/transport/whole-body.ts';

export interface InRuntime {
  name: string;
  /** The child file that runs the contract inside the runtime. */
  file: string;
  options: FetchTransportOptions;
  expectations: TransportExpectations;
}

export const IN_RUNTIME: Record<'bun' | 'deno', InRuntime> = {
  bun: {
    name: 'fetch (Bun, decompress: false)',
    file: 'test/transport/bun-fetch.contract.ts',
    options: { decodesBodies: false, init: { decompress: false }, wholeBodyLimitBytes: BUN_WHOLE_BODY_LIMIT_BYTES },
    expectations: { decodesBodies: false, statusText: 'as-sent', wholeBodyLimitBytes: BUN_WHOLE_BODY_LIMIT_BYTES },
  },
  deno: {
    name: 'fetch (Deno)',
    file: 'test/transport/deno-fetch.contract.ts',
    options: { decodesBodies: true },
    expectations: {
      decodesBodies: true,
      statusText: 'canonical',
      skip: {
        'a request whose connection is cut before the response reaches the server once':
          'Deno 2.9.5 fetch resends a request once when a fresh connection is reset or closed before the response, POST included (denoland/deno#35610, fixed upstream by denoland/deno#36415; deno is pinned to 2.9.5)',
      },
    },
  },
};
