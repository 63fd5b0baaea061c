/**
 * The Node peer: fastify + @fastify/reply-from, as its documentation sets up a proxy over several
 * backends (`base` as a list: undici's BalancedPool). No logger.
 * `node --import tsx bench/peers/fastify.ts --port 0 --backend URL...`; prints `listening on URL`.
 */
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import { proxyArgsOrExit } from '../floors/args.ts';

const { port, backends } = proxyArgsOrExit(process.argv.slice(2), (n) => process.env[n], process.exit);
const app = Fastify({ logger: false });
await app.register(replyFrom, { base: backends, undici: { connections: 256, keepAliveTimeout: 10_000 } });
// A proxy passes bodies through untouched.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_req, _payload, done) => done(null));
app.all('/*', (req, reply) => reply.from(req.url));
const url = await app.listen({ port, host: '127.0.0.1' });
console.log(`fastify listening on ${url}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
