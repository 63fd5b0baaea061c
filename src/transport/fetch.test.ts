import { runTransportTests } from './contract.ts';
import { fetchTransport } from './fetch.ts';

// Node's global fetch decodes gzip/br/deflate, so it is the decoding transport here (the Node entry uses undici).
runTransportTests('fetch (Node)', () => fetchTransport(), { decodesBodies: true, statusText: 'as-sent' });
