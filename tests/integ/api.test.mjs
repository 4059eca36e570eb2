// api.test.mjs - the JSON API of API.md section 2 against the real server:
// rooms, participants (the JSON twin of WHIP), snapshots, operator key,
// CORS, metrics, and the program's command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startMcu, MCU_BIN } from './lib/mcu.mjs';
import { legacyOffer, webrtcOffer } from './lib/offers.mjs';

const run = promisify(execFile);

test('rooms: create, conflict, list, show, patch, delete', { timeout: 30000 }, async () => {
  const mcu = await startMcu();
  try {
    let r = await mcu.api('POST', '/api/rooms', { body: { room: 'board', layout: 'speaker', max_participants: 4 } });
    assert.equal(r.status, 201);
    assert.equal(r.json.room, 'board');
    assert.equal(r.json.layout, 'speaker');
    assert.equal(r.json.record, false);
    assert.equal(r.json.max_participants, 4);
    assert.match(r.json.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(r.json.participants, []);

    r = await mcu.api('POST', '/api/rooms', { body: { room: 'board' } });
    assert.equal(r.status, 409);
    assert.equal(r.json.error, 'room_exists');
    r = await mcu.api('POST', '/api/rooms', { body: { room: 'x', layout: 'mosaic' } });
    assert.equal(r.status, 400);
    r = await mcu.api('POST', '/api/rooms', { body: { room: 'a/b' } });
    assert.equal(r.status, 400);
    r = await mcu.api('POST', '/api/rooms', { body: {} });
    assert.equal(r.status, 201, 'a room without a name gets one');
    assert.match(r.json.room, /^room-[0-9a-f]{8}$/);

    r = await mcu.api('GET', '/api/rooms');
    assert.deepEqual(r.json.rooms.map((x) => x.room).sort(), ['board', r.json.rooms.find((x) => x.room !== 'board').room].sort());
    r = await mcu.api('PATCH', '/api/rooms/board', { body: { layout: 'grid', record: true } });
    assert.equal(r.status, 200);
    assert.equal(r.json.layout, 'grid');
    assert.equal(r.json.record, true);
    r = await mcu.api('PATCH', '/api/rooms/board', { body: { layout: 7 } });
    assert.equal(r.status, 400);
    r = await mcu.api('GET', '/api/rooms/board');
    assert.equal(r.json.layout, 'grid', 'a refused PATCH changed nothing');

    r = await mcu.api('DELETE', '/api/rooms/board');
    assert.equal(r.status, 200);
    assert.equal((await mcu.api('GET', '/api/rooms/board')).status, 404);
    assert.equal((await mcu.api('DELETE', '/api/rooms/board')).status, 404);
    assert.equal((await mcu.api('PATCH', '/api/rooms/board', { body: { layout: 'grid' } })).status, 404);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('participants: JSON twin of WHIP joins, counts against max_participants, is kicked by DELETE', { timeout: 30000 }, async () => {
  const mcu = await startMcu();
  try {
    await mcu.api('POST', '/api/rooms', { body: { room: 'tiny', max_participants: 1 } });
    let r = await mcu.api('POST', '/api/rooms/tiny/participants', { body: { sdp: webrtcOffer(), profile: 'sd', name: 'lobby-tv' } });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.id, /^[0-9a-f]{16}$/);
    assert.equal(r.json.location, `/api/rooms/tiny/participants/${r.json.id}`);
    assert.match(r.json.sdp, /^v=0\r\n/);
    assert.match(r.json.sdp, /a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\r\n/);
    assert.match(r.json.sdp, /a=candidate:\S+ 1 (udp|UDP) \d+ 127\.0\.0\.1 \d+ typ host/);
    assert.match(r.json.sdp, /a=rtpmap:102 H264\/90000/);
    assert.match(r.json.sdp, /profile-level-id=42e01f/);
    const id = r.json.id;

    let room = await mcu.api('GET', '/api/rooms/tiny');
    assert.equal(room.json.participants.length, 1);
    const p = room.json.participants[0];
    assert.equal(p.name, 'lobby-tv');
    assert.equal(p.profile, 'sd');
    assert.equal(p.kind, 'webrtc');

    r = await mcu.api('POST', '/api/rooms/tiny/participants', { body: { sdp: webrtcOffer() } });
    assert.equal(r.status, 503, 'a full room is 503');
    assert.ok(r.headers.get('retry-after'), '503 carries Retry-After');
    r = await mcu.api('POST', '/api/rooms/tiny/participants', { body: { sdp: webrtcOffer(), profile: 'uhd' } });
    assert.equal(r.status, 400);
    r = await mcu.api('POST', '/api/rooms/tiny/participants', { body: { profile: 'sd' } });
    assert.equal(r.status, 400);

    assert.equal((await mcu.api('DELETE', `/api/rooms/tiny/participants/${id}`)).status, 200);
    room = await mcu.api('GET', '/api/rooms/tiny');
    assert.deepEqual(room.json.participants, []);
    assert.equal((await mcu.api('DELETE', `/api/rooms/tiny/participants/${id}`)).status, 404);
    const health = await mcu.api('GET', '/api/health');
    assert.equal(health.json.participants, 0);
    assert.equal(health.json.rooms, 1);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('profiles: a WebRTC join defaults to hd, a plain-RTP one to sd; any other word is 400 bad_profile', { timeout: 30000 }, async () => {
  const mcu = await startMcu();
  try {
    assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: 'words' } })).status, 201);
    const joins = [
      { body: { sdp: webrtcOffer() }, kind: 'webrtc', profile: 'hd' },
      { body: { sdp: webrtcOffer(), profile: '' }, kind: 'webrtc', profile: 'hd' },
      { body: { sdp: webrtcOffer(), profile: 'ld' }, kind: 'webrtc', profile: 'ld' },
      { body: { sdp: legacyOffer(27640) }, kind: 'rtp', profile: 'sd' },
      { body: { sdp: legacyOffer(27650), profile: 'hd' }, kind: 'rtp', profile: 'hd' },
    ];
    for (const j of joins) {
      const r = await mcu.api('POST', '/api/rooms/words/participants', { body: j.body });
      assert.equal(r.status, 201, r.text);
      j.id = r.json.id;
    }
    const room = await mcu.api('GET', '/api/rooms/words');
    for (const j of joins) {
      const p = room.json.participants.find((x) => x.id === j.id);
      assert.ok(p, `participant ${j.id} listed`);
      assert.equal(p.kind, j.kind);
      assert.equal(p.profile, j.profile, `${j.kind} joined with ${JSON.stringify(j.body.profile)}`);
    }
    for (const sdp of [webrtcOffer(), legacyOffer(27660)])
      for (const profile of ['HD', 'uhd', ' sd', 'sdx']) {
        const r = await mcu.api('POST', '/api/rooms/words/participants', { body: { sdp, profile } });
        assert.equal(r.status, 400, `profile ${JSON.stringify(profile)}`);
        assert.equal(r.json.error, 'bad_profile');
      }
    assert.equal((await mcu.api('GET', '/api/rooms/words')).json.participants.length, joins.length);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('operator key guards the API but not health; CORS and OPTIONS', { timeout: 30000 }, async () => {
  const mcu = await startMcu(['--operator_key=test-key-123', '--cors_origin=https://app.example']);
  try {
    let r = await mcu.api('GET', '/api/rooms');
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'unauthorized');
    r = await mcu.api('GET', '/api/rooms', { headers: { Authorization: 'Bearer wrong-key-123' } });
    assert.equal(r.status, 401);
    r = await mcu.api('GET', '/api/rooms', { headers: { Authorization: 'Bearer test-key-123' } });
    assert.equal(r.status, 200);
    assert.equal((await mcu.api('GET', '/metrics')).status, 401);
    r = await mcu.api('GET', '/api/health');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(r.json.status, 'ok');
    assert.equal(typeof r.json.version, 'string');
    assert.equal(typeof r.json.uptime_s, 'number');

    r = await mcu.api('OPTIONS', '/whip/any');
    assert.equal(r.status, 204);
    assert.match(r.headers.get('access-control-allow-methods'), /PATCH/);
    assert.match(r.headers.get('access-control-allow-headers'), /Authorization/);
    assert.match(r.headers.get('access-control-expose-headers'), /Location/);
    assert.equal(r.headers.get('accept-post'), 'application/sdp');

    r = await mcu.api('GET', '/metrics', { headers: { Authorization: 'Bearer test-key-123' }, raw: true });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain/);
    assert.match(r.text, /^# TYPE mcu_rooms gauge$/m);
    assert.match(r.text, /^mcu_participants 0$/m);
    assert.match(r.text, /^mcu_rtp_packets_in_total\{kind="video"\} \d+$/m);
    assert.equal((await mcu.api('GET', '/nothing/here')).status, 404);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('command line: --help, --version, bad keys, overrides win over the file', { timeout: 30000 }, async () => {
  const help = await run(MCU_BIN, ['--help']);
  assert.match(help.stdout, /listen/);
  assert.match(help.stdout, /auto_create_rooms/);
  const version = await run(MCU_BIN, ['--version']);
  assert.match(version.stdout, /^mcu \d+\.\d+\.\d+/);
  await assert.rejects(run(MCU_BIN, ['--no_such_key=1']), (e) => e.code === 2 && /unknown option/.test(e.stderr));
  await assert.rejects(run(MCU_BIN, ['-c', '/nonexistent.conf']), (e) => e.code === 2);
  await assert.rejects(run(MCU_BIN, ['--listen=nonsense']), (e) => e.code === 1);
  // The file says auto_create_rooms = true; the flag wins.
  const mcu = await startMcu(['--auto_create_rooms=false']);
  try {
    const r = await mcu.api('POST', '/whip/x', { body: webrtcOffer(), headers: { 'Content-Type': 'application/sdp' } });
    assert.equal(r.status, 404);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('an empty room ends after empty_room_timeout_s; one with a participant stays', { timeout: 30000 }, async () => {
  const mcu = await startMcu(['--empty_room_timeout_s=1']);
  try {
    assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: 'brief' } })).status, 201);
    const joined = await mcu.api('POST', '/api/rooms/kept/participants', { body: { sdp: webrtcOffer() } });
    assert.equal(joined.status, 201, joined.text);
    const end = Date.now() + 10000;
    let status = 200;
    while (status === 200 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await mcu.api('GET', '/api/rooms/brief')).status;
    }
    assert.equal(status, 404, 'the empty room ended');
    assert.equal((await mcu.api('GET', '/api/rooms/kept')).status, 200, 'the occupied room stays');
    const health = (await mcu.api('GET', '/api/health')).json;
    assert.equal(health.rooms, 1);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('snapshot.jpg: 404 without a room or a picture, else a JPEG of the composite; a room ends while snapshots run',
  { timeout: 60000 }, async () => {
    const mcu = await startMcu();
    try {
      let r = await mcu.api('GET', '/api/rooms/none/snapshot.jpg');
      assert.equal(r.status, 404);
      assert.equal(r.json.error, 'room_not_found');
      assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: 'still' } })).status, 201);
      r = await mcu.api('GET', '/api/rooms/still/snapshot.jpg');
      assert.equal(r.status, 404);
      assert.equal(r.json.error, 'no_picture');

      // A plain-RTP sd receiver: the room composes (black: nobody sends).
      const tv = await mcu.api('POST', '/api/rooms/still/participants', { body: { sdp: legacyOffer(27600), profile: 'sd' } });
      assert.equal(tv.status, 201, tv.text);
      let shot = null;
      for (let i = 0; i < 50 && !shot; i++) {
        const res = await fetch(`${mcu.base}/api/rooms/still/snapshot.jpg`);
        if (res.status === 200) shot = res;
        else await new Promise((ok) => setTimeout(ok, 100));
      }
      assert.ok(shot, 'a snapshot once the room composes');
      assert.equal(shot.headers.get('content-type'), 'image/jpeg');
      const jpeg = Buffer.from(await shot.arrayBuffer());
      const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height',
        '-of', 'csv=p=0', '-'], { input: jpeg }).toString().trim();
      assert.equal(probe, 'mjpeg,640,360', 'a JPEG at the sd composite\'s size');

      // Snapshots of a room that ends meanwhile: each is answered, the
      // room's end waits for them, and the server stays up.
      const many = Array.from({ length: 12 }, () => fetch(`${mcu.base}/api/rooms/still/snapshot.jpg`).then((x) => x.status));
      assert.equal((await mcu.api('DELETE', '/api/rooms/still')).status, 200);
      for (const status of await Promise.all(many)) assert.ok(status === 200 || status === 404, `status ${status}`);
      assert.equal((await mcu.api('GET', '/api/rooms/still/snapshot.jpg')).status, 404);
      assert.equal((await mcu.api('GET', '/api/health')).status, 200);
    } finally {
      assert.equal((await mcu.stop()).code, 0);
    }
  });
