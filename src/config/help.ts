import { describeAlgorithms } from '../policies/registry.ts';

/** `text` wrapped at `width` columns, every line after the first indented by `indent` spaces. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width - indent) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The text of `--help`. */
export const HELP = `Usage: switchyard [flags]      (npm start -- [flags] | bun run src/node.ts [flags] | deno task start [flags])

Flags (override env, which overrides the config file, which overrides defaults):
  --config FILE          JSON config file (seed 004's config.json or the native format); env LB_CONFIG
  --servers FILE         JSON list of servers [{"host","port","weight"}] or [{"url"}]; replaces the file's list
  --backend URL[=WEIGHT] a backend server; repeat for more; replaces the file's list
  --algorithm NAME       ${wrap(`${describeAlgorithms()}; default round_robin`, 100, 25)}
  --port N               listen port (default 8080; 0 picks a free one)
  --host H               listen address (default 127.0.0.1)
  --access-log FORMAT    json (default), combined (Apache) or off; one line per request at LOG_LEVEL info
  --cert FILE            serve HTTPS with this certificate chain (PEM); env LB_TLS_CERT; SIGHUP reads it again
  --key FILE             the certificate's private key (PEM); env LB_TLS_KEY
  -h, --help             this help

Environment:
  LB_CONFIG              config file path (when no --config)
  LB_HOST, LB_PORT       listen address and port
  LB_ALGORITHM           selection algorithm
  LB_ADMIN_TOKEN         bearer token for admin writes (without one, writes only from loopback)
  LB_TLS_CERT            certificate chain file (PEM) for HTTPS (when no --cert)
  LB_TLS_KEY             its private key file (PEM) (when no --key)
  LB_STICKY_SECRET       signs sticky-session cookies (16+ characters; without one, a secret is made at start)
  LOG_LEVEL              debug | info (default) | warn | error | silent
  HEALTH_CHECK_INTERVAL  seconds between health checks (default 10; "500ms", "10s" accepted)
  MAX_RETRIES            extra attempts on other servers (default 2)
  TIMEOUT                per-attempt timeout in seconds (default 10)

With no servers from any source, three demo backends are started on loopback.
Bad input exits with status 2 and one line per problem.`;
