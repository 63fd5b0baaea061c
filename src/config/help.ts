/** The text of `--help`. */
export const HELP = `Usage: switchyard [flags]      (npm start -- [flags] | bun run src/node.ts [flags] | deno task start [flags])

Flags (override env, which overrides the config file, which overrides defaults):
  --config FILE          JSON config file (seed 004's config.json or the native format); env LB_CONFIG
  --servers FILE         JSON list of servers [{"host","port","weight"}] or [{"url"}]; replaces the file's list
  --backend URL[=WEIGHT] a backend server; repeat for more; replaces the file's list
  --algorithm NAME       round_robin (default), weighted_round_robin, least_connections, random,
                         power_of_two (p2c), least_response_time, ip_hash, consistent_hash, maglev, first
  --port N               listen port (default 8080; 0 picks a free one)
  --host H               listen address (default 127.0.0.1)
  --access-log FORMAT    json (default), combined (Apache) or off; one line per request at LOG_LEVEL info
  -h, --help             this help

Environment:
  LB_CONFIG              config file path (when no --config)
  LB_HOST, LB_PORT       listen address and port
  LB_ALGORITHM           selection algorithm
  LB_ADMIN_TOKEN         bearer token for admin writes (without one, writes only from loopback)
  LOG_LEVEL              debug | info (default) | warn | error | silent
  HEALTH_CHECK_INTERVAL  seconds between health checks (default 10; "500ms", "10s" accepted)
  MAX_RETRIES            extra attempts on other servers (default 2)
  TIMEOUT                per-attempt timeout in seconds (default 10)

With no servers from any source, three demo backends are started on loopback.
Bad input exits with status 2 and one line per problem.`;
