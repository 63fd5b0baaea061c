/**
 * HTTPS to backends on the real Node, Bun and Deno entries: TLS backends in
 * this process with certificates made by `openssl` here (a private CA, a
 * certificate it signed for 127.0.0.1, one it signed for api.internal only,
 * a self-signed one), reached through `tls.ca_file`, `tls.server_name` and
 * `tls.insecure_skip_verify`, for proxied requests and health checks alike.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runToExit, startEntry, type Running, type RuntimeName } from './conformance/harness.ts';
import { waitFor } from './fixtures/wait.ts';

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const SKIP = HAS_OPENSSL ? false : 'openssl is not installed (Debian: apt-get install openssl): the test certificates are made with it';
const RUNTIMES: RuntimeName[] = ['node', 'bun', 'deno'];
/** Deno's fetch has neither a server name nor a per-client skip of verification (src/runtime/deno.ts). */
const CAN_NAME_AND_SKIP: Record<RuntimeName, boolean> = { node: true, bun: true, deno: false };

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** `NAME.pem` and `NAME.key` in `dir`, signed by the CA there, for `san` (`IP:…`, `DNS:…`). */
function issue(dir: string, name: string, san: string): void {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}

function makeCertificates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-backend-tls-'));
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Switchyard Backend Test CA');
  issue(dir, 'server', 'IP:127.0.0.1');
  issue(dir, 'named', 'DNS:api.internal');
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
  writeFileSync(join(dir, 'not-pem.txt'), 'this is not a certificate\n');
  return dir;
}

/** An HTTPS backend serving `cert`: `/health` is 200, anything else says its name and the Host it was asked for. */
async function tlsBackend(dir: string, cert: string, name: string): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert: readFileSync(join(dir, `${cert}.pem`)), key: readFileSync(join(dir, `${cert}.key`)) }, (req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(req.url === '/health' ? 'ok' : `${name} host=${req.headers.host}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `https://127.0.0.1:${(server.address() as { port: number }).port}` };
}

interface StatsServer {
  status: string;
  last_check?: { ok: boolean; error?: string };
  last_error: { message: string } | null;
}
async function serverOf(lb: Running, service: string, url: string): Promise<StatsServer | undefined> {
  const stats = (await (await fetch(`${lb.url}/api/stats`)).json()) as { services: Record<string, { servers: Record<string, StatsServer> }> };
  return stats.services[service]?.servers[new URL(url).host];
}

const FAST_CHECKS = { interval: '200ms', fast_interval: '200ms', down_interval: '200ms', rise: 1, fall: 1, timeout: '2s', jitter: 0 };

describe('HTTPS to backends', { skip: SKIP, timeout: 180_000 }, () => {
  let dir: string;
  const backends: Record<'trusted' | 'named' | 'self', { server: Server; url: string }> = {} as never;
  before(async () => {
    dir = makeCertificates();
    backends.trusted = await tlsBackend(dir, 'server', 'trusted');
    backends.named = await tlsBackend(dir, 'named', 'named');
    backends.self = await tlsBackend(dir, 'self', 'self');
  });
  after(async () => {
    await Promise.all(Object.values(backends).map((b) => new Promise((r) => b.server.close(r))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A config beside the certificates (ca_file relative to it): a service per case, each behind its own path prefix. */
  function writeCase(file: string, services: Record<string, unknown>): string {
    const routes = Object.keys(services).map((name) => ({ match: { path_prefix: `/${name}` }, service: name }));
    const path = join(dir, file);
    writeFileSync(path, JSON.stringify({ load_balancer: { port: 0 }, health_check: FAST_CHECKS, passive_health: { enabled: false }, retries: 0, services, routes }));
    return path;
  }

  for (const runtime of RUNTIMES) {
    describe(runtime, () => {
      let lb: Running;
      const full = CAN_NAME_AND_SKIP[runtime];
      before(async () => {
        const services: Record<string, unknown> = {
          trusted: { servers: [{ url: backends.trusted.url }], tls: { ca_file: 'ca.pem' } },
          // No checks where the request must meet the certificate itself (a failed check would make it 503 first).
          untrusted: { servers: [{ url: backends.trusted.url }], health_check: { enabled: false } },
          checked: { servers: [{ url: backends.trusted.url }] },
          wrongname: { servers: [{ url: backends.named.url }], tls: { ca_file: 'ca.pem' }, health_check: { enabled: false } },
          ...(full
            ? {
                named: { servers: [{ url: backends.named.url }], tls: { ca_file: 'ca.pem', server_name: 'api.internal' } },
                skip: { servers: [{ url: backends.self.url }], tls: { insecure_skip_verify: true } },
              }
            : {}),
        };
        lb = await startEntry(runtime, ['--config', writeCase(`${runtime}.json`, services)], { LOG_LEVEL: 'warn' });
      });
      after(async () => {
        await lb?.stop();
      });

      it('tls.ca_file: the private CA is trusted, requests and health checks pass', async () => {
        const res = await fetch(`${lb.url}/trusted/x`);
        assert.equal(res.status, 200);
        assert.match(await res.text(), /^trusted host=127\.0\.0\.1:\d+$/);
        const s = await waitFor('a passing health check', () => serverOf(lb, 'trusted', backends.trusted.url), (s) => s?.last_check?.ok === true);
        assert.equal(s?.status, 'healthy');
      });

      it('without it the certificate is not trusted: 502 saying so, and the server goes unhealthy', async () => {
        const res = await fetch(`${lb.url}/untrusted/x`);
        assert.equal(res.status, 502);
        const problem = (await res.json()) as { attempts: Array<{ error: string }> };
        assert.match(problem.attempts[0].error, /^connect: could not connect to 127\.0\.0\.1:\d+: certificate not trusted \(/);
        assert.match((await serverOf(lb, 'untrusted', backends.trusted.url))?.last_error?.message ?? '', /certificate not trusted/);
        const s = await waitFor('the failing health check', () => serverOf(lb, 'checked', backends.trusted.url), (s) => s?.status === 'unhealthy');
        assert.equal(s?.last_check?.ok, false);
      });

      it('a certificate for another name: 502 saying the name does not match', async () => {
        const res = await fetch(`${lb.url}/wrongname/x`);
        assert.equal(res.status, 502);
        const problem = (await res.json()) as { attempts: Array<{ error: string }> };
        assert.match(problem.attempts[0].error, /^connect: could not connect to 127\.0\.0\.1:\d+: certificate name does not match \(/);
      });

      it('tls.server_name: a certificate for that name passes; Host stays the URL’s', { skip: full ? false : "Deno's fetch cannot set a server name: the start refuses it (tested below)" }, async () => {
        const res = await fetch(`${lb.url}/named/x`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), `named host=${new URL(backends.named.url).host}`);
        await waitFor('a passing health check', () => serverOf(lb, 'named', backends.named.url), (s) => s?.last_check?.ok === true);
      });

      it('tls.insecure_skip_verify: a self-signed backend is reached, with a warning at start naming the service', { skip: full ? false : "Deno's fetch cannot skip verification per server: the start refuses it (tested below)" }, async () => {
        const res = await fetch(`${lb.url}/skip/x`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), `self host=${new URL(backends.self.url).host}`);
        assert.match(lb.output(), /services\.skip\.tls\.insecure_skip_verify: service \\?"skip\\?" does not verify/);
        await waitFor('a passing health check', () => serverOf(lb, 'skip', backends.self.url), (s) => s?.last_check?.ok === true);
      });

      if (!full) {
        it('server_name and insecure_skip_verify are refused at start (exit 2), naming the field and why', async () => {
          for (const [field, tls] of [['server_name', { server_name: 'api.internal' }], ['insecure_skip_verify', { insecure_skip_verify: true }]] as const) {
            const config = writeCase(`${runtime}-${field}.json`, { a: { servers: [{ url: backends.named.url }], tls } });
            const r = await runToExit(runtime, ['--config', config]);
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, new RegExp(`${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: services\\.a\\.tls\\.${field}: Deno's fetch cannot`));
          }
        });
      }
    });
  }

  describe('a CA file that cannot be used ends the start (exit 2), naming the field and the file', () => {
    for (const runtime of RUNTIMES) {
      it(runtime, async () => {
        const missing = writeCase(`${runtime}-missing.json`, { a: { servers: [{ url: backends.trusted.url }], tls: { ca_file: 'nowhere.pem' } } });
        let r = await runToExit(runtime, ['--config', missing]);
        assert.equal(r.code, 2, r.stderr);
        assert.ok(r.stderr.includes(`${missing}: services.a.tls.ca_file: cannot read ${JSON.stringify(join(dir, 'nowhere.pem'))}: ENOENT`), r.stderr);
        if (runtime !== 'node') return;
        const notPem = writeCase('not-pem.json', { a: { servers: [{ url: backends.trusted.url }], tls: { ca_file: 'not-pem.txt' } } });
        r = await runToExit(runtime, ['--config', notPem]);
        assert.equal(r.code, 2, r.stderr);
        assert.ok(r.stderr.includes(`${notPem}: services.a.tls.ca_file: ${JSON.stringify(join(dir, 'not-pem.txt'))} is not a PEM certificate file`), r.stderr);
      });
    }
  });

  describe('services made through the API', () => {
    let lb: Running;
    before(async () => {
      const path = join(dir, 'api.json');
      writeFileSync(path, JSON.stringify({ load_balancer: { port: 0 }, health_check: FAST_CHECKS, retries: 0, tls: { ca_file: 'ca.pem' }, servers: [{ url: backends.trusted.url }] }));
      lb = await startEntry('node', ['--config', path]);
    });
    after(async () => {
      await lb?.stop();
    });

    it('refuse tls.ca_file with 400 naming the field (files are the config file’s)', async () => {
      const res = await fetch(`${lb.url}/api/services/own`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ servers: [{ url: backends.trusted.url }], tls: { ca_file: '/etc/ssl/certs/ca.pem' } }) });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /tls\.ca_file: is read from the config file at start only/);
    });

    it('inherit the top level’s CA file, and may set their own server_name', async () => {
      const put = await fetch(`${lb.url}/api/services/named`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ servers: [{ url: backends.named.url }], tls: { server_name: 'api.internal' } }) });
      assert.ok(put.status === 201 || put.status === 200, await put.text());
      const routes = await fetch(`${lb.url}/api/routes`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ match: { path_prefix: '/named' }, service: 'named' }, { service: 'default' }]) });
      assert.equal(routes.status, 200, await routes.text());
      const res = await fetch(`${lb.url}/named/x`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^named host=/);
      assert.equal((await fetch(`${lb.url}/x`)).status, 200, 'the default service reaches its server through the same CA');
    });
  });
});
