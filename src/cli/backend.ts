import { demoBackend } from '../demo/backend.ts';
import { serve as serveFetch } from '#runtime';
import { flags, num, UsageError } from './args.ts';

export const BACKEND_HELP = `Usage: switchyard backend --port P [--host H] [--delay SECONDS] [--fail-rate R] [--name NAME]

The seeds' test server: GET /health, and an echo of any other request as JSON
(handled_by, method, path, headers, body size). ?delay=S and ?status=N per request.
  --port P         port to listen on (required; 0 picks one)
  --host H         address (default 127.0.0.1)
  --delay S        seconds added to every answer (e.g. 0.1)
  --fail-rate R    share of requests answered 500, 0-1 (e.g. 0.1)
  --name NAME      reported as handled_by (default "backend-PORT")`;

export async function backend(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = flags(argv, { port: { type: 'string' }, host: { type: 'string' }, delay: { type: 'string' }, 'fail-rate': { type: 'string' }, name: { type: 'string' } });
  if (values.help) return out(BACKEND_HELP);
  if (values.port === undefined) throw new UsageError('--port: required (see --help)');
  const port = num('port', values.port, 0, 0, 65535);
  const app = demoBackend({
    name: values.name ?? `backend-${port}`,
    delayMs: num('delay', values.delay, 0, 0, 60) * 1000,
    failRate: num('fail-rate', values['fail-rate'], 0, 0, 1),
  });
  const host = values.host ?? '127.0.0.1';
  const s = await serveFetch((req) => app.fetch(req), { hostname: host, port });
  out(`backend ${values.name ?? `backend-${s.port}`} listening on http://${host}:${s.port}`);
  const stop = () => void s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
