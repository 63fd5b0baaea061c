/**
 * nginx and HAProxy, as the backends and as contenders. Each config file is written to a temp dir
 * at run time: one worker (or thread), loopback only, no access log. Ports are picked free first.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LARGE_BYTES, SMALL_BYTES } from '../backend-node.ts';

/** A free loopback port (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A temp dir others (nginx's unprivileged worker) may read. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** nginx's `user` line when run as root (its default group `nobody` is missing on Debian). */
function userLine(): string {
  if (process.getuid?.() !== 0) return '';
  const groups = existsSync('/etc/group') ? readFileSync('/etc/group', 'utf8') : '';
  return `user nobody ${/^nogroup:/m.test(groups) ? 'nogroup' : 'nobody'};`;
}

function nginxMain(dir: string, workers: number, http: string): string {
  return `${userLine()}
worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
${http}
}
`;
}

/** The backends: one nginx with `workers` workers listening on each port, `/small`, `/large`, `/health`. */
export function nginxBackendConfig(dir: string, ports: number[], workers: number): string {
  writeFileSync(join(dir, 'small'), Buffer.alloc(SMALL_BYTES, 'a'));
  writeFileSync(join(dir, 'large'), Buffer.alloc(LARGE_BYTES, 'b'));
  writeFileSync(join(dir, 'health'), 'ok\n');
  for (const f of ['small', 'large', 'health']) chmodSync(join(dir, f), 0o644);
  const servers = ports
    .map((p) => `  server {\n    listen 127.0.0.1:${p};\n    root ${dir};\n    default_type application/octet-stream;\n    location / { open_file_cache max=16; etag off; }\n  }`)
    .join('\n');
  return nginxMain(dir, workers, `  sendfile on;\n  tcp_nopush on;\n${servers}`);
}

/** nginx as a proxy: one worker, round robin, keep-alive to the backends, bodies held in memory. */
export function nginxProxyConfig(dir: string, port: number, backends: string[]): string {
  const upstream = backends.map((b) => `    server ${new URL(b).host};`).join('\n');
  return nginxMain(
    dir,
    1,
    `  upstream backends {
${upstream}
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffers 8 16k;
      proxy_buffer_size 16k;
      proxy_max_temp_file_size 0;
    }
  }`,
  );
}

/** HAProxy: one thread, HTTP mode, round robin, connection reuse, active checks every 10 s. */
export function haproxyConfig(port: number, backends: string[]): string {
  const servers = backends.map((b, i) => `  server s${i + 1} ${new URL(b).host} check inter 10s`).join('\n');
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 60s
frontend bench
  bind 127.0.0.1:${port}
  default_backend pool
backend pool
  balance roundrobin
  option httpchk GET /health
${servers}
`;
}
