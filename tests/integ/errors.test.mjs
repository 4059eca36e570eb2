// errors.test.mjs - bad input gets the status API.md names and a JSON error
// body, and the server goes on answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startMcu } from './lib/mcu.mjs';
import { webrtcOffer, legacyOffer } from './lib/offers.mjs';

async function assertHealthy(mcu) {
  const h = await mcu.api('GET', '/api/health');
  assert.equal(h.status, 200);
  assert.equal(h.json.status, 'ok');
}

function assertError(res, status, what) {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} ${res.text}`);
  assert.equal(typeof res.json?.error, 'string', `${what}: JSON error code`);
  assert.equal(typeof res.json?.message, 'string', `${what}: JSON message`);
}

// A raw POST whose declared body is large; resolves to the server's answer.
// It asks "Expect: 100-continue" as curl does for big bodies, so the body is
// only sent if the server wants it: a server that refuses by Content-Length
// answers at once, and the client never races it with a write into a closed
// socket.
function postLarge(port, path, bytes) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST',
      headers: { 'Content-Type': 'application/sdp', 'Content-Length': bytes,
        Expect: '100-continue' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        resolve({ status: res.statusCode, text, json: JSON.parse(text) });
        req.destroy();
      });
    });
    req.on('continue', () => req.end(Buffer.alloc(bytes, 'v')));
    req.on('error', reject);
  });
}

test('malformed offers and requests get API.md statuses; health survives', { timeout: 60000 }, async () => {
  const mcu = await startMcu();
  try {
    const sdp = { 'Content-Type': 'application/sdp' };
    let r = await mcu.api('POST', '/whip/r1', { body: 'hello, not SDP', headers: sdp });
    assertError(r, 400, 'not SDP');
    assert.equal(r.json.error, 'bad_sdp');
    await assertHealthy(mcu);

    r = await mcu.api('POST', '/whip/r1', { body: webrtcOffer({ fingerprint: false }), headers: sdp });
    assertError(r, 400, 'no fingerprint');
    assert.match(r.json.message, /fingerprint/);
    await assertHealthy(mcu);

    // A fingerprint that is not 32 hex bytes is the offer's fault, not the room's.
    const badFp = webrtcOffer().replace(/a=fingerprint:sha-256 \S+/g, 'a=fingerprint:sha-256 ZZ:not:hex');
    r = await mcu.api('POST', '/whip/r1', { body: badFp, headers: sdp });
    assertError(r, 400, 'malformed fingerprint');
    assert.equal(r.json.error, 'bad_offer');
    assert.match(r.json.message, /fingerprint/);
    await assertHealthy(mcu);

    // A display name with a line break or a terminal escape is refused.
    for (const name of ['eve\r\nX-Injected: 1', 'eve\u001b[31m']) {
      r = await mcu.api('POST', `/whip/r1?name=${encodeURIComponent(name)}`, { body: webrtcOffer(), headers: sdp });
      assertError(r, 400, `control characters in ${JSON.stringify(name)}`);
      assert.equal(r.json.error, 'bad_name');
    }
    await assertHealthy(mcu);

    r = await mcu.api('POST', '/whip/r1', { body: webrtcOffer({ audioCodec: 'G722', videoCodec: 'AV1' }), headers: sdp });
    assertError(r, 400, 'no usable codec');
    assert.match(r.json.message, /codec/i);
    await assertHealthy(mcu);

    r = await postLarge(mcu.port, '/whip/r1', 1 << 20);
    assertError(r, 413, '1 MiB body');
    await assertHealthy(mcu);

    r = await mcu.api('POST', '/whip/r1', { body: webrtcOffer(), headers: { 'Content-Type': 'text/plain' } });
    assertError(r, 415, 'wrong Content-Type');
    await assertHealthy(mcu);

    r = await mcu.api('DELETE', '/whip/r1/0123456789abcdef');
    assertError(r, 404, 'DELETE of an unknown session');
    await assertHealthy(mcu);

    r = await mcu.api('POST', '/whip/bad%20room', { body: webrtcOffer(), headers: sdp });
    assertError(r, 400, 'bad room name');
    r = await mcu.api('PUT', '/whip/r1', { body: webrtcOffer(), headers: sdp });
    assertError(r, 405, 'wrong method');
    r = await mcu.api('POST', '/api/rooms', { body: '{"room": ', headers: {} });
    assertError(r, 400, 'broken JSON');
    await assertHealthy(mcu);
    const rooms = await mcu.api('GET', '/api/rooms');
    assert.deepEqual(rooms.json.rooms, [], 'no failed join left a room behind');
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('unknown room with auto_create_rooms = false is 404', { timeout: 30000 }, async () => {
  const mcu = await startMcu(['--auto_create_rooms=false']);
  try {
    const r = await mcu.api('POST', '/whip/nosuchroom', { body: webrtcOffer(), headers: { 'Content-Type': 'application/sdp' } });
    assertError(r, 404, 'unknown room');
    assert.equal(r.json.error, 'room_not_found');
    await assertHealthy(mcu);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('no free plain-RTP port pair is 503 no_ports with Retry-After', { timeout: 30000 }, async () => {
  // Two port pairs: one legacy endpoint (video and audio) takes both.
  const mcu = await startMcu(['--rtp_port_min=31000', '--rtp_port_max=31003']);
  try {
    let r = await mcu.api('POST', '/api/rooms/tv/participants', { body: { sdp: legacyOffer(26200) } });
    assert.equal(r.status, 201, r.text);
    r = await mcu.api('POST', '/api/rooms/tv/participants', { body: { sdp: legacyOffer(26300) } });
    assertError(r, 503, 'ports used up');
    assert.equal(r.json.error, 'no_ports');
    assert.match(r.json.message, /31000\.\.31003/);
    assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After');
    await assertHealthy(mcu);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});
