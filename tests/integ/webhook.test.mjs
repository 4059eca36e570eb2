// webhook.test.mjs - events POSTed to an HTTP receiver of this test:
// room.started, participant.joined and recording.finished (file, duration,
// a Standard Webhooks signature that verifies with the secret), and
// participant.left with why (an endpoint kicked by the API). With the
// receiver down the server retries with backoff and logs it, the room keeps
// its frame rate, and the events arrive once the receiver is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium, joinRoom, observe } from './lib/browser.mjs';
import { legacyOffer } from './lib/offers.mjs';

const KEY = crypto.randomBytes(24);
const SECRET = `whsec_${KEY.toString('base64')}`;

// Verifies a delivery the way a receiver would; returns the event.
function verify(req, body) {
  const id = req.headers['webhook-id'];
  const ts = req.headers['webhook-timestamp'];
  const sig = req.headers['webhook-signature'];
  assert.ok(id && ts && sig, 'webhook-id, -timestamp and -signature headers');
  assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60, 'a fresh timestamp');
  const want = 'v1,' + crypto.createHmac('sha256', KEY).update(`${id}.${ts}.${body}`).digest('base64');
  assert.equal(sig, want, 'the signature verifies');
  const event = JSON.parse(body);
  assert.equal(event.id, id);
  return event;
}

// An HTTP receiver on a port it keeps across stop/start.
function receiver() {
  const events = [];
  const problems = [];
  let server = null;
  const r = {
    events, problems, port: 0,
    async start(port = 0) {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
          try { events.push(verify(req, body)); } catch (e) { problems.push(String(e)); }
          res.writeHead(204).end();
        });
      });
      await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
      r.port = server.address().port;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    of: (type) => events.filter((e) => e.type === type),
  };
  return r;
}

test('webhook: signed events, recording.finished, retries while the receiver is down', {
  timeout: 90000, skip: !haveChromium() && 'no chromium',
}, async (t) => {
  const rx = receiver();
  await rx.start();
  const mcu = await startMcu([`--webhook_url=http://127.0.0.1:${rx.port}/events`,
    `--webhook_secret=${SECRET}`, '--webhook_retry_ms=200', '--webhook_max_attempts=8']);
  const browser = await launchBrowser();
  try {
    const sender = await browser.newPage();
    await sender.goto(`${mcu.base}/api/health`);
    const s = await joinRoom(sender, '/whip/hook?name=alice', { color: '#00ff00', freq: 440 });
    assert.ok(s.connected);
    const viewer = await browser.newPage();
    await viewer.goto(`${mcu.base}/api/health`);
    assert.ok((await joinRoom(viewer, '/whep/hook?name=watcher')).connected);

    await waitFor(() => rx.of('participant.joined').length >= 2, { what: 'joined events' });
    assert.equal(rx.of('room.started')[0].data.room, 'hook');
    const alice = rx.of('participant.joined').find((e) => e.data.participant.name === 'alice');
    assert.equal(alice.data.room, 'hook');
    assert.equal(alice.data.participant.kind, 'webrtc');

    // A 3 s recording: its end is told with the file and its duration.
    assert.equal((await mcu.api('PATCH', '/api/rooms/hook', { body: { record: true } })).status, 200);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await mcu.api('PATCH', '/api/rooms/hook', { body: { record: false } })).status, 200);
    await waitFor(() => rx.of('recording.finished').length === 1, { what: 'recording.finished' });
    const rec = rx.of('recording.finished')[0].data;
    t.diagnostic(`recording.finished: ${JSON.stringify(rec)}`);
    assert.equal(rec.room, 'hook');
    assert.match(rec.file, /^hook-\d{8}T\d{6}Z\.mp4$/);
    assert.equal(rec.state, 'done');
    assert.equal(rec.url, `/recordings/${rec.file}`);
    assert.ok(rec.duration_s > 2 && rec.duration_s < 4, `duration ${rec.duration_s}`);
    const listed = (await mcu.api('GET', `/api/recordings/${rec.file}`)).json;
    assert.equal(listed.file, rec.file);
    assert.ok(Math.abs(listed.duration_s - rec.duration_s) < 0.1);
    assert.ok(rec.size_bytes > 10000);

    // A plain-RTP endpoint the operator removes: it left because it was
    // kicked, not because it hung up.
    const tv = await mcu.api('POST', '/api/rooms/hook/participants', { body: { sdp: legacyOffer(27400), name: 'lobby-tv' } });
    assert.equal(tv.status, 201, tv.text);
    assert.equal((await mcu.api('DELETE', `/api/rooms/hook/participants/${tv.json.id}`)).status, 200);
    await waitFor(() => rx.of('participant.left').length >= 1, { what: 'the kicked endpoint\'s left event' });
    const kicked = rx.of('participant.left')[0].data;
    assert.equal(kicked.participant.name, 'lobby-tv');
    assert.equal(kicked.participant.kind, 'rtp');
    assert.equal(kicked.reason, 'kicked');

    // Receiver down: the next events fail, are retried and logged, and the
    // room goes on at full rate meanwhile.
    await rx.stop();
    const framesBefore = (await observe(viewer, {}, [])).frames;
    await sender.evaluate(() => window.mcu.pc.close());
    assert.equal((await mcu.api('DELETE', s.location)).status, 200);
    await waitFor(() => /webhook: participant\.left \S+ attempt 2 of 8 failed/.test(mcu.log()),
      { what: 'a logged retry' });
    const framesDuring = (await observe(viewer, {}, [])).frames;
    await new Promise((r) => setTimeout(r, 2000));
    const framesAfter = (await observe(viewer, {}, [])).frames;
    t.diagnostic(`viewer frames: ${framesBefore} -> ${framesDuring} -> ${framesAfter}`);
    assert.ok(framesAfter - framesDuring >= 45, `the room kept its frame rate (${framesAfter - framesDuring} frames in 2 s)`);
    const metrics = (await mcu.api('GET', '/metrics', { raw: true })).text;
    const attempts = Number(/^mcu_webhook_attempts_total (\d+)/m.exec(metrics)[1]);
    const delivered = Number(/^mcu_webhook_events_total\{outcome="delivered"\} (\d+)/m.exec(metrics)[1]);
    assert.ok(attempts > delivered, `retries counted (${attempts} attempts, ${delivered} delivered)`);

    // Back up on the same port: the retried event arrives, once.
    await rx.start(rx.port);
    await waitFor(() => rx.of('participant.left').length >= 2, { what: 'the left event after retries', timeoutMs: 20000 });
    const left = rx.of('participant.left').filter((e) => e.data.participant.name === 'alice');
    assert.equal(left.length, 1);
    assert.equal(left[0].data.reason, 'left');
    assert.deepEqual(rx.problems, []);
    // Shutdown ends the room: its end is told before mcu exits 0.
    await browser.close();
    assert.equal((await mcu.stop()).code, 0, 'mcu exits 0 on SIGTERM');
    assert.ok(rx.of('room.ended').some((e) => e.data.room === 'hook' && e.data.reason === 'shutdown'),
      'room.ended (shutdown) delivered during the shutdown');
  } finally {
    await browser.close().catch(() => {});
    await mcu.stop();
    await rx.stop().catch(() => {});
  }
});
