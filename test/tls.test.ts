/**
 * TLS termination on the real Node, Bun and Deno entries, with certificates
 * made by `openssl` here (a CA, a server certificate for localhost and
 * 127.0.0.1, one for another name, an expired one, a renewed one, a stray
 * key), and clients that verify the chain against that CA.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { runToExit, startEntry, type Running, type RuntimeName } from './conformance/harness.ts';
import { waitFor } from './fixtures/wait.ts';

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const SKIP = HAS_OPENSSL ? false : 'openssl is not installed (Debian: apt-get install openssl): the test certificates are made with it';
const RUNTIMES: RuntimeName[] = ['node', 'bun', 'deno'];

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** Makes `NAME.pem` and `NAME.key` in `dir`, signed by the CA there, for `names` (DNS names and IP addresses). */
function issue(dir: string, name: string, names: string[], days = 2): void {
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${names[0]}`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}

/** A CA and the certificates the tests serve, in a new temp dir. */
function makeCertificates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Switchyard Test CA');
  issue(dir, 'server', ['localhost', '127.0.0.1']);
  issue(dir, 'renewed', ['localhost', '127.0.0.1']);
  issue(dir, 'other', ['other.test']);
  // Not after one day before it was made: expired.
  issue(dir, 'expired', ['expired.test'], -1);
  openssl(dir, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'stray.key');
  return dir;
}

const serialOf = (path: string) => new X509Certificate(readFileSync(path)).serialNumber.toUpperCase();

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The served certificate's subject CN and serial. */
  cn: string;
  serial: string;
  reused: boolean;
}

/** GET over https to 127.0.0.1:`port`, verifying the chain against `ca` and the name `servername` (an IP when absent). */
function get(port: number, path: string, ca: Buffer, opts: { servername?: string; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, servername: opts.servername, agent: opts.agent ?? false, timeout: 20_000 }, (res) => {
      const socket = res.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, cn: String(peer.subject?.CN), serial: peer.serialNumber.toUpperCase(), reused: req.reusedSocket }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A plain GET to 127.0.0.1:`port` with `host` as the Host header. */
function plainGet(port: number, path: string, host: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 20_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A backend that echoes each request as JSON, but holds `/hold` requests until `release()`. */
interface HoldingBackend {
  url: string;
  held(): number;
  release(): void;
  close(): Promise<void>;
}

async function startHoldingBackend(): Promise<HoldingBackend> {
  const waiting: Array<() => void> = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: url.pathname, query: url.search, headers: req.headers }));
    };
    if (url.pathname === '/hold') waiting.push(answer);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    held: () => waiting.length,
    release: () => waiting.splice(0).forEach((answer) => answer()),
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

let certs = '';
before(() => {
  if (HAS_OPENSSL) certs = makeCertificates();
});
after(() => {
  if (certs) rmSync(certs, { recursive: true, force: true });
});

for (const runtime of RUNTIMES) {
  describe(`TLS termination on ${runtime}`, { skip: SKIP, timeout: 120_000 }, () => {
    let dir = '';
    let ca: Buffer;
    let backend: HoldingBackend;
    let lb: Running;
    let redirectPort = 0;

    before(async () => {
      // Its own copies: the reload test rewrites server.pem and server.key.
      dir = join(certs, runtime);
      mkdirSync(dir);
      for (const f of ['server', 'other', 'expired']) for (const ext of ['pem', 'key']) copyFileSync(join(certs, `${f}.${ext}`), join(dir, `${f}.${ext}`));
      ca = readFileSync(join(certs, 'ca.pem'));
      backend = await startHoldingBackend();
      redirectPort = await freePort();
      const config = {
        load_balancer: {
          port: 0,
          ssl: {
            enabled: true,
            // Beside the config file, as seed 004 writes them.
            cert_file: 'server.pem',
            key_file: 'server.key',
            certificates: [
              { cert_file: 'other.pem', key_file: 'other.key' },
              { cert_file: 'expired.pem', key_file: 'expired.key' },
            ],
            redirect_http_port: redirectPort,
            hsts: { max_age: 600, include_subdomains: true },
          },
        },
        servers: [{ url: backend.url }],
        access_log: 'off',
      };
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      lb = await startEntry(runtime, ['--config', join(dir, 'config.json')], { LOG_LEVEL: 'info' });
    });
    after(async () => {
      await lb?.stop();
      await backend?.close();
    });

    it('says https in its banner and warns that the expired certificate is served anyway', () => {
      assert.match(lb.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(lb.output(), /load_balancer\.ssl\.certificates\[1\]\.cert_file: certificate ".*expired\.pem" expired on \d{4}-/);
    });

    it('proxies over TLS to a client that verifies the chain; the backend sees X-Forwarded-Proto: https', async () => {
      const r = await get(lb.port, '/echo?x=1', ca, { servername: 'localhost' });
      assert.equal(r.status, 200);
      const echo = JSON.parse(r.body) as { path: string; query: string; headers: Record<string, string> };
      assert.equal(echo.query, '?x=1');
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
      assert.equal(r.cn, 'localhost');
      assert.equal(r.serial, serialOf(join(certs, 'server.pem')));
    });

    it('forwards X-Forwarded-Proto: https for an absolute-form target that says http', async () => {
      const socket = tlsConnect({ host: '127.0.0.1', port: lb.port, ca, servername: 'localhost' });
      let raw = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (raw += d));
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.once('secureConnect', () => socket.write('GET http://localhost/absolute HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
      socket.setTimeout(20_000, () => socket.destroy());
      await closed;
      assert.match(raw, /^HTTP\/1\.1 200/);
      const echo = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')) as { path: string; headers: Record<string, string> };
      assert.equal(echo.path, '/absolute');
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
    });

    it('sends HSTS on proxied and admin responses', async () => {
      for (const path of ['/echo', '/api/stats', '/health']) {
        const r = await get(lb.port, path, ca);
        assert.equal(r.headers['strict-transport-security'], 'max-age=600; includeSubDomains', path);
      }
    });

    it('picks the certificate by SNI: other.test its own, an unknown name and a bare IP the default', async () => {
      assert.equal((await get(lb.port, '/echo', ca, { servername: 'other.test' })).cn, 'other.test');
      assert.equal((await get(lb.port, '/echo', ca)).cn, 'localhost');
      // The default does not claim unknown.test: the client's verification fails, naming the mismatch.
      await assert.rejects(get(lb.port, '/echo', ca, { servername: 'unknown.test' }), /ERR_TLS_CERT_ALTNAME_INVALID|does not match|not in the cert's altnames/);
    });

    it('answers the plain port with 301 to https, path and query kept, on the host asked for', async () => {
      const r = await plainGet(redirectPort, '/a/b?q=1&r=%20', `example.com:${redirectPort}`);
      assert.equal(r.status, 301);
      assert.equal(r.location, `https://example.com:${lb.port}/a/b?q=1&r=%20`);
    });

    it('reads the certificates again on SIGHUP: new connections get the new one, open connections are served on', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
      try {
        const served = serialOf(join(certs, 'server.pem'));
        const idle = await get(lb.port, '/echo', ca, { agent });
        assert.equal(idle.serial, served);
        const inFlight = get(lb.port, '/hold', ca);
        await waitFor('the held request at the backend', async () => backend.held(), (n) => n === 1, 15_000);
        copyFileSync(join(certs, 'renewed.pem'), join(dir, 'server.pem'));
        copyFileSync(join(certs, 'renewed.key'), join(dir, 'server.key'));
        const seen = lb.output().length;
        lb.child.kill('SIGHUP');
        await waitFor('the reload logged', async () => lb.output().slice(seen), (o) => /certificates reloaded|not reloaded/.test(o), 15_000);
        assert.doesNotMatch(lb.output().slice(seen), /not reloaded/);
        const fresh = await get(lb.port, '/echo', ca);
        assert.equal(fresh.status, 200);
        assert.equal(fresh.serial, serialOf(join(certs, 'renewed.pem')));
        // The request in flight across the reload completes on its connection, with the old certificate.
        backend.release();
        const held = await inFlight;
        assert.equal(held.status, 200);
        assert.equal(held.serial, served);
        const again = await get(lb.port, '/echo', ca, { agent });
        assert.equal(again.status, 200);
        if (runtime !== 'bun') {
          assert.equal(again.reused, true, 'the idle keep-alive connection opened before the reload was used again');
          assert.equal(again.serial, served);
        }
        // Bun: the replaced server closes its idle keep-alive connections as it stops (in-flight ones finish), as an
        // nginx reload does; the client opens a new connection, which gets the new certificate.
        else assert.equal(again.serial, again.reused ? served : fresh.serial);
      } finally {
        agent.destroy();
      }
    });
  });

  describe(`bad certificate files on ${runtime}`, { skip: SKIP, timeout: 120_000 }, () => {
    it('exit 2, one line per problem naming the field, the file and the problem', async () => {
      const dir = join(certs, `${runtime}-bad`);
      mkdirSync(dir);
      copyFileSync(join(certs, 'server.pem'), join(dir, 'server.pem'));
      copyFileSync(join(certs, 'stray.key'), join(dir, 'stray.key'));
      copyFileSync(join(certs, 'other.key'), join(dir, 'other.key'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({
        load_balancer: {
          port: 0,
          ssl: {
            cert_file: 'server.pem',
            key_file: 'stray.key',
            certificates: [
              { cert_file: 'missing.pem', key_file: 'other.key' },
              { cert_file: 'other.key', key_file: 'other.key' },
            ],
          },
        },
        servers: [{ url: 'http://127.0.0.1:9' }],
      }));
      const r = await runToExit(runtime, ['--config', join(dir, 'config.json')]);
      assert.equal(r.code, 2, r.stderr + r.stdout);
      const lines = r.stderr.trim().split('\n');
      const file = join(dir, 'config.json');
      assert.deepEqual(lines, [
        `${file}: load_balancer.ssl.key_file: does not match cert_file ${JSON.stringify(join(dir, 'server.pem'))} (a different key)`,
        `${file}: load_balancer.ssl.certificates[0].cert_file: cannot read ${JSON.stringify(join(dir, 'missing.pem'))}: ENOENT`,
        `${file}: load_balancer.ssl.certificates[1].cert_file: ${JSON.stringify(join(dir, 'other.key'))} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`,
      ]);
    });
  });
}

describe('certificates from flags and env', { skip: SKIP, timeout: 120_000 }, () => {
  for (const [runtime, how] of [
    ['node', 'flags'],
    ['deno', 'env'],
  ] as const) {
    it(`${runtime} serves HTTPS with the certificate named by ${how === 'flags' ? '--cert/--key' : 'LB_TLS_CERT/LB_TLS_KEY'}`, async () => {
      const cert = join(certs, 'server.pem');
      const key = join(certs, 'server.key');
      const args = ['--port', '0', '--backend', 'http://127.0.0.1:9', ...(how === 'flags' ? ['--cert', cert, '--key', key] : [])];
      const lb = await startEntry(runtime, args, how === 'env' ? { LB_TLS_CERT: cert, LB_TLS_KEY: key } : {});
      try {
        const r = await get(lb.port, '/health', readFileSync(join(certs, 'ca.pem')));
        assert.equal(r.serial, serialOf(cert));
      } finally {
        await lb.stop();
      }
    });
  }
});
