// TLS against a CA made at test time with the openssl CLI: verified with the CA, refused without
// it (verification is on by default), and a client certificate for mutual TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Connection } from '../../nodes/core/cmms/http';
import type { CmmsConfig, TlsConfig } from '../../nodes/core/cmms/types';
import { json, startServer, type TestServer } from './cmms-server';
import { failure } from '../support/wait';

interface Pki { ca: string; serverKey: string; serverCert: string; clientKey: string; clientCert: string }

function makePki(dir: string): Pki {
  const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Millwright Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    run('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'edge-gateway-01'}`);
    run('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '2', '-extfile', `${who}.ext`);
  }
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  return { ca: read('ca.crt'), serverKey: read('server.key'), serverCert: read('server.crt'), clientKey: read('client.key'), clientCert: read('client.crt') };
}

describe('cmms TLS', function () {
  this.timeout(30_000);
  let dir: string;
  let pki: Pki;
  let server: TestServer | undefined;
  let conn: Connection | undefined;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cmms-tls-'));
    pki = makePki(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    conn?.close();
    conn = undefined;
    await server?.close();
    server = undefined;
  });

  function connect(url: string, tls?: TlsConfig): Connection {
    const cfg: CmmsConfig = { dialect: 'rest', baseUrl: url, auth: { kind: 'none' }, connectTimeoutMs: 5000, timeoutMs: 5000 };
    if (tls) cfg.tls = tls;
    conn = new Connection(cfg, 'REST');
    return conn;
  }

  it('verifies the server against the configured CA', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }), { key: pki.serverKey, cert: pki.serverCert });
    const res = await connect(server.url, { ca: pki.ca }).send({ method: 'GET', url: `${server.url}/health` });
    assert.deepEqual(res.data, { ok: true });
  });

  it('refuses the same server without the CA: verification is on by default', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }), { key: pki.serverKey, cert: pki.serverCert });
    const e = await failure(connect(server.url).send({ method: 'POST', url: `${server.url}/workorders`, body: {} }));
    assert.equal(e.kind, 'transient');
    assert.equal(e.ambiguous, false, 'nothing was sent over an untrusted connection');
    assert.match(String(e.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    assert.match(e.message, /TLS certificate of 127\.0\.0\.1:\d+ was not accepted/);
    assert.equal(server.seen.length, 0);
  });

  it('refuses with rejectUnauthorized left undefined inside a tls block without a CA', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }), { key: pki.serverKey, cert: pki.serverCert });
    await failure(connect(server.url, {}).send({ method: 'GET', url: `${server.url}/x` }));
    assert.equal(server.seen.length, 0);
  });

  it('accepts an unverified server only when rejectUnauthorized is false', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }), { key: pki.serverKey, cert: pki.serverCert });
    const res = await connect(server.url, { rejectUnauthorized: false }).send({ method: 'GET', url: `${server.url}/x` });
    assert.equal(res.status, 200);
  });

  describe('mutual TLS', () => {
    const mtls = () => ({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true });

    it('presents the client certificate and the server accepts it', async () => {
      server = await startServer((req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        json(res, 200, { client: peer.subject?.CN });
      }, mtls());
      const res = await connect(server.url, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }).send({ method: 'GET', url: `${server.url}/whoami` });
      assert.deepEqual(res.data, { client: 'edge-gateway-01' });
    });

    it('without a client certificate the server refuses the connection', async () => {
      server = await startServer((_req, res) => json(res, 200, {}), mtls());
      const e = await failure(connect(server.url, { ca: pki.ca }).send({ method: 'GET', url: `${server.url}/whoami` }));
      assert.equal(e.kind, 'transient');
      assert.equal(server.seen.length, 0);
    });
  });
});
