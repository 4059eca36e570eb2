// httpwire.test.mjs - HTTP as it arrives on the socket, against the real
// mcu: requests a proxy could frame differently (two Content-Length, or
// Content-Length with Transfer-Encoding) are 400 and closed; a query of 500
// arguments is 414 and closed at once; HEAD on GET routes answers headers
// only; 405 names the allowed methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startMcu } from './lib/mcu.mjs';

// Writes text on a new connection; resolves what came back, whether the
// server closed the connection, and when (ms), or gives up after ms.
function raw(port, text, ms = 3000) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    const t0 = Date.now();
    const timer = setTimeout(() => { s.destroy(); resolve({ buf, closed: false, ms: Date.now() - t0 }); }, ms);
    s.on('data', (d) => { buf += d; });
    s.on('close', () => { clearTimeout(timer); resolve({ buf, closed: true, ms: Date.now() - t0 }); });
    s.on('error', () => {});
    s.write(text);
  });
}

const status = (r) => Number(r.buf.match(/^HTTP\/1\.1 (\d{3})/)?.[1] || 0);
const header = (r, name) => r.buf.match(new RegExp(`^${name}: (.*)\r$`, 'mi'))?.[1];
const bodyOf = (r) => r.buf.slice(r.buf.indexOf('\r\n\r\n') + 4);

test('HTTP on the wire: smuggling framings 400, 500 query arguments 414, HEAD, Allow',
  { timeout: 30000 }, async () => {
    const mcu = await startMcu(['--log_level=info']);
    try {
      const p = mcu.port;
      const body = '{"room":"wire"}';
      // Two Content-Length: the second would frame a smuggled request.
      let r = await raw(p, `POST /api/rooms HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nContent-Length: 5\r\n\r\n${body}`);
      assert.equal(status(r), 400, r.buf);
      assert.equal(JSON.parse(bodyOf(r)).error, 'bad_framing');
      assert.ok(r.closed && r.ms < 1000, `closed at once (${r.closed}, ${r.ms} ms)`);
      // Content-Length with Transfer-Encoding.
      const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      r = await raw(p, `POST /api/rooms HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
        `Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`);
      assert.equal(status(r), 400, r.buf);
      assert.ok(r.closed && r.ms < 1000, 'closed at once');
      r = await raw(p, `POST /api/rooms HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\ncontent-length: 5\r\n\r\n${chunked}`);
      assert.equal(status(r), 400, 'in either order and case');
      assert.equal((await mcu.api('GET', '/api/rooms/wire')).status, 404, 'no room was made');
      // One framing is fine, chunked or not.
      r = await raw(p, `POST /api/rooms HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`);
      assert.equal(status(r), 201, r.buf);

      // 500 query arguments: answered and closed, not left to time out.
      const q = Array.from({ length: 500 }, (_, i) => `a${i}=${i}`).join('&');
      r = await raw(p, `GET /api/health?${q} HTTP/1.1\r\nHost: a\r\n\r\n`);
      assert.equal(status(r), 414, r.buf || '(no answer)');
      assert.ok(r.closed && r.ms < 1000, `closed at once (${r.closed}, ${r.ms} ms)`);
      const few = Array.from({ length: 20 }, (_, i) => `a${i}=${i}`).join('&');
      r = await raw(p, `GET /api/health?${few} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
      assert.equal(status(r), 200, '20 arguments are fine');

      // HEAD on GET routes: headers as GET, no body.
      for (const path of ['/api/health', '/api/rooms', '/api/rooms/wire', '/metrics', '/']) {
        const get = await raw(p, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
        const head = await raw(p, `HEAD ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
        assert.equal(status(head), 200, `HEAD ${path}: ${head.buf}`);
        assert.equal(header(head, 'Content-Type'), header(get, 'Content-Type'));
        assert.ok(Number(header(head, 'Content-Length')) > 0, `HEAD ${path} has a Content-Length`);
        assert.equal(bodyOf(head), '', `HEAD ${path} has no body`);
      }

      // 405 says what is allowed.
      for (const [method, path, allow] of [['PUT', '/api/rooms', 'GET, HEAD, POST, OPTIONS'],
        ['POST', '/api/health', 'GET, HEAD, OPTIONS'], ['GET', '/whip/wire', 'POST, OPTIONS'],
        ['PUT', '/api/rooms/wire', 'GET, HEAD, PATCH, DELETE, OPTIONS']]) {
        r = await raw(p, `${method} ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        assert.equal(status(r), 405, `${method} ${path}`);
        assert.equal(header(r, 'Allow'), allow, `${method} ${path}`);
      }
      assert.equal((await mcu.api('GET', '/api/health')).status, 200, 'still serving');
    } finally {
      const { code } = await mcu.stop();
      assert.equal(code, 0, 'mcu exits 0 on SIGTERM');
    }
  });
