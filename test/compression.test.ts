/** Response compression on every runtime that compresses: the Node, Bun and Deno entries (node:zlib). */
import { it } from 'node:test';
import { runCompressionConformance } from './compression-suite.ts';
import { processStarter } from './conformance/suite.ts';

runCompressionConformance('node', processStarter('node'));
runCompressionConformance('bun', processStarter('bun'), { chunksStreams: 'Bun.serve sends a streamed body chunked, whatever Content-Length its Response says (so without compression too)' });
runCompressionConformance('deno', processStarter('deno'), { decodes: true });

it('compression: workerd', { skip: "Workers get no compressor: Cloudflare's edge compresses for the client (and Miniflare gzips on its own), so `compression` is ignored there" }, () => {});
