// auth.test.mjs - the operator key guards every operator route (401 without
// it or with a wrong one), and join tokens guard joining: a valid token for
// the room joins; an expired one is 401; another room's is 403; the refusal
// is logged without the secret. Secrets read from files (*_file keys) guard
// the same way, and an empty secret file stops the start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMcu } from './lib/mcu.mjs';
import { webrtcOffer } from './lib/offers.mjs';

const KEY = 'op-key-123';
const SECRET = 'join-secret-456';
const GUARDED = [
  ['GET', '/api/rooms'], ['POST', '/api/rooms'], ['GET', '/api/rooms/r'], ['PATCH', '/api/rooms/r'],
  ['DELETE', '/api/rooms/r'], ['DELETE', '/api/rooms/r/participants/0123456789abcdef'],
  ['POST', '/api/rooms/r/tokens'], ['GET', '/api/rooms/r/snapshot.jpg'], ['GET', '/api/recordings'],
  ['GET', '/recordings/r-20260101T000000Z.mp4'], ['DELETE', '/api/recordings/r-20260101T000000Z.mp4'],
  ['GET', '/metrics'], ['GET', '/admin'],
];

test('every operator route answers 401 without the key or with a wrong one', { timeout: 30000 }, async () => {
  const mcu = await startMcu([`--operator_key=${KEY}`]);
  try {
    for (const [method, path] of GUARDED) {
      for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: `Bearer ${KEY}x` }]) {
        const r = await mcu.api(method, path, { headers, body: method === 'GET' || method === 'DELETE' ? undefined : {} });
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}: ${r.status}`);
      }
    }
    const ok = await mcu.api('GET', '/api/rooms', { headers: { Authorization: `Bearer ${KEY}` } });
    assert.equal(ok.status, 200);
    assert.equal((await mcu.api('GET', '/api/health')).status, 200, 'health stays open');
    assert.ok(!mcu.log().includes(KEY), 'the key is never logged');
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('join tokens: valid joins, expired is 401, another room is 403, none is 401, a deleted room\'s is 401', { timeout: 30000 }, async () => {
  const mcu = await startMcu([`--operator_key=${KEY}`, `--join_secret=${SECRET}`]);
  const op = { Authorization: `Bearer ${KEY}` };
  const sdp = { 'Content-Type': 'application/sdp' };
  try {
    const mint = async (room, ttl) => {
      const r = await mcu.api('POST', `/api/rooms/${room}/tokens`, { headers: op, body: { ttl_s: ttl } });
      assert.equal(r.status, 201, r.text);
      return r.json.token;
    };
    const lobby = await mint('lobby', 3600);
    const other = await mint('other', 3600);
    const brief = await mint('lobby', 1);

    let r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: sdp });
    assert.equal(r.status, 401, 'no token');
    r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: { ...sdp, Authorization: `Bearer ${other}` } });
    assert.equal(r.status, 403, 'another room\'s token');
    assert.equal(r.json.error, 'token_for_another_room');
    r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: { ...sdp, Authorization: 'Bearer lobby.1.9999999999.00.ff' } });
    assert.equal(r.status, 401, 'forged token');
    r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: { ...sdp, Authorization: `Bearer ${lobby}` } });
    assert.equal(r.status, 201, `valid token joins: ${r.text}`);
    r = await mcu.api('POST', '/api/rooms/lobby/participants', { body: { sdp: webrtcOffer() }, headers: { Authorization: `Bearer ${lobby}` } });
    assert.equal(r.status, 201, 'the JSON twin takes the token too');
    r = await mcu.api('POST', '/api/rooms/lobby/participants', { body: { sdp: webrtcOffer() }, headers: { Authorization: `Bearer ${other}` } });
    assert.equal(r.status, 403);
    r = await mcu.api('POST', '/whep/lobby', { body: webrtcOffer({ direction: 'recvonly' }), headers: sdp });
    assert.equal(r.status, 401, 'watching needs a token too');

    await new Promise((res) => setTimeout(res, 2100));
    r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: { ...sdp, Authorization: `Bearer ${brief}` } });
    assert.equal(r.status, 401, 'expired token');
    assert.equal(r.json.error, 'token_expired');
    assert.match(mcu.log(), /join refused: an expired token/);
    assert.ok(!mcu.log().includes(SECRET) && !mcu.log().includes(brief), 'neither secret nor token logged');

    const bad = await mcu.api('POST', '/api/rooms/lobby/tokens', { headers: op, body: { ttl_s: 0 } });
    assert.equal(bad.status, 400);

    // DELETE ends the meeting: its tokens do not bring the room back, a
    // token minted afterwards does.
    assert.equal((await mcu.api('DELETE', '/api/rooms/lobby', { headers: op })).status, 200);
    r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: { ...sdp, Authorization: `Bearer ${lobby}` } });
    assert.equal(r.status, 401, `a deleted room's token: ${r.text}`);
    assert.equal(r.json.error, 'token_revoked');
    assert.equal((await mcu.api('GET', '/api/rooms/lobby', { headers: op })).status, 404, 'not re-created');
    const fresh = await mint('lobby', 3600);
    r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: { ...sdp, Authorization: `Bearer ${fresh}` } });
    assert.equal(r.status, 201, `a token minted after the deletion: ${r.text}`);
    // Deleting a room that is not live revokes its tokens all the same.
    const later = await mint('later', 3600);
    assert.equal((await mcu.api('DELETE', '/api/rooms/later', { headers: op })).status, 404);
    r = await mcu.api('POST', '/whip/later', { body: webrtcOffer(), headers: { ...sdp, Authorization: `Bearer ${later}` } });
    assert.equal(r.json.error, 'token_revoked');
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('operator_key_file and join_secret_file: the key from the file guards, never on the command line',
  { timeout: 30000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-secrets-'));
    const keyFile = path.join(dir, 'operator.key');
    const secretFile = path.join(dir, 'join.secret');
    const emptyFile = path.join(dir, 'empty.key');
    fs.writeFileSync(keyFile, 'file-key-789\n', { mode: 0o600 });
    fs.writeFileSync(secretFile, 'file-secret-012\n', { mode: 0o600 });
    fs.writeFileSync(emptyFile, '\n', { mode: 0o600 });
    let mcu = null;
    try {
      await assert.rejects(startMcu([`--operator_key_file=${emptyFile}`]), /mcu exited/,
        'an empty secret file stops the start');
      mcu = await startMcu([`--operator_key_file=${keyFile}`, `--join_secret_file=${secretFile}`]);
      assert.ok(!mcu.proc.spawnargs.join(' ').includes('file-key-789'), 'the key is not in the arguments');
      for (const headers of [{}, { Authorization: 'Bearer file-key-789x' }, { Authorization: `Bearer ${keyFile}` }]) {
        assert.equal((await mcu.api('GET', '/api/rooms', { headers })).status, 401, JSON.stringify(headers));
      }
      const op = { Authorization: 'Bearer file-key-789' };
      assert.equal((await mcu.api('GET', '/api/rooms', { headers: op })).status, 200, 'the newline is not part of the key');
      const sdp = { 'Content-Type': 'application/sdp' };
      assert.equal((await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: sdp })).status, 401,
        'joins need a token: the join secret was read');
      const tok = await mcu.api('POST', '/api/rooms/lobby/tokens', { headers: op, body: { ttl_s: 60 } });
      assert.equal(tok.status, 201, tok.text);
      const r = await mcu.api('POST', '/whip/lobby', { body: webrtcOffer(), headers: { ...sdp, Authorization: `Bearer ${tok.json.token}` } });
      assert.equal(r.status, 201, r.text);
      assert.ok(!mcu.log().includes('file-key-789') && !mcu.log().includes('file-secret-012'), 'no secret is logged');
    } finally {
      if (mcu) assert.equal((await mcu.stop()).code, 0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
