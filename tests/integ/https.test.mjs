// https.test.mjs - with tls_cert and tls_key the same API is served over
// TLS (browsers need https to open cameras anywhere but localhost); plain
// HTTP on that port gets no answer; a missing key stops the server with a
// clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import https from 'node:https';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMcu, MCU_BIN, CONFIG } from './lib/mcu.mjs';

function getTls(port, urlPath, ca) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: urlPath, ca, agent: false }, (res) => {
      const cipher = res.socket.getCipher();
      const protocol = res.socket.getProtocol();
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body, cipher: cipher.name, protocol }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTPS with tls_cert and tls_key; HTTP on that port is not served', { timeout: 30000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-tls-'));
  const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const mcu = await startMcu([`--tls_cert=${cert}`, `--tls_key=${key}`]);
  try {
    const ca = fs.readFileSync(cert);
    const r = await getTls(mcu.port, '/api/health', ca);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).status, 'ok');
    t.diagnostic(`${r.protocol} ${r.cipher}`);
    assert.match(r.protocol, /^TLSv1\.[23]$/);
    const page = await getTls(mcu.port, '/', ca);
    assert.equal(page.status, 200, 'the client page over https');
    await assert.rejects(fetch(`http://127.0.0.1:${mcu.port}/api/health`, { signal: AbortSignal.timeout(3000) }),
      'plain HTTP gets no answer on the HTTPS port');
  } finally {
    assert.equal((await mcu.stop()).code, 0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing key file stops the server with a clear message', { timeout: 15000 }, () => {
  const r = spawnSync(MCU_BIN, ['-c', CONFIG, '--listen=127.0.0.1:0', '--tls_cert=/nonexistent/cert.pem',
    '--tls_key=/nonexistent/key.pem'], { encoding: 'utf8', timeout: 10000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot read \/nonexistent\/cert\.pem/);
});
