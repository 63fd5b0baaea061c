import { runTransportTests } from './contract.ts';
import { undiciTransport } from './undici.ts';

runTransportTests('undici (Node)', () => undiciTransport(), { decodesBodies: false, statusText: 'as-sent' });
