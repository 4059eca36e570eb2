// destinations.test.mjs - a plain-RTP join cannot make the server send
// media where nobody asked for it: a third party's address is 403 without
// the operator key (and gets nothing), allowed with it; multicast,
// broadcast and the server's own ports are 400; a receive-only endpoint
// that never sends RTCP is dropped after rtp_timeout_s while a real
// GStreamer receiver, which sends receiver reports, stays. (ffmpeg 5.1
// reading an SDP sends no RTCP at all, so it cannot be that receiver.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { legacyOffer } from './lib/offers.mjs';
import { freePorts, start } from './lib/procs.mjs';

const SKIP = !fs.existsSync('/usr/bin/ffmpeg') && 'needs Debian ffmpeg';
const TIMEOUT_S = 8;

// UDP sockets on addr at port and the three after it that count what
// arrives; close() ends them.
async function listen(addr, port) {
  const socks = [];
  const got = { bytes: 0, packets: 0 };
  for (let i = 0; i < 4; i++) {
    const s = dgram.createSocket('udp4');
    s.on('message', (m) => { got.bytes += m.length; got.packets++; });
    await new Promise((resolve, reject) => { s.once('error', reject); s.bind(port + i, addr, resolve); });
    socks.push(s);
  }
  return { got, close: () => socks.forEach((s) => s.close()) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const join = (mcu, room, sdp, headers = {}) =>
  mcu.api('POST', `/api/rooms/${room}/participants`, { body: { sdp, profile: 'hd' }, headers });
const ids = async (mcu, room) => {
  const r = await mcu.api('GET', `/api/rooms/${room}`);
  return r.status === 200 ? r.json.participants.map((p) => p.id) : [];
};

test('without the operator key, a third party, multicast, broadcast or the server itself get nothing',
  { skip: SKIP, timeout: 60000 }, async () => {
    const mcu = await startMcu(['--log_level=info']);
    const victim = await listen('127.0.0.2', 26000);
    try {
      // A sender makes the room's composite flow.
      const base = await freePorts();
      const sender = await join(mcu, 'tv', legacyOffer(base, { direction: 'sendrecv' }));
      assert.equal(sender.status, 201, sender.text);

      const r = await join(mcu, 'tv', legacyOffer(26000, { addr: '127.0.0.2' }));
      assert.equal(r.status, 403, r.text);
      assert.equal(r.json.error, 'destination_not_allowed');
      assert.match(r.json.message, /requester's own address \(127\.0\.0\.1\)/);
      for (const [addr, word] of [['239.1.2.3', /multicast/], ['255.255.255.255', /broadcast/], ['0.1.2.3', /unspecified/]]) {
        const m = await join(mcu, 'tv', legacyOffer(26000, { addr }));
        assert.equal(m.status, 400, `${addr}: ${m.text}`);
        assert.equal(m.json.error, 'bad_destination');
        assert.match(m.json.message, word);
      }
      // Pointed at the sender's server-side ports: the composite would
      // feed back into the room.
      const ans = sender.json.sdp;
      const vport = Number(ans.match(/^m=video (\d+)/m)[1]);
      const aport = Number(ans.match(/^m=audio (\d+)/m)[1]);
      const loop = await join(mcu, 'tv', legacyOffer(vport, { audioPort: aport }));
      assert.equal(loop.status, 400, loop.text);
      assert.equal(loop.json.error, 'bad_destination');
      assert.match(loop.json.message, /own ports/);
      assert.deepEqual(await ids(mcu, 'tv'), [sender.json.id], 'nobody else joined');
      await sleep(5000);
      assert.equal(victim.got.bytes, 0, '127.0.0.2 received nothing in 5 s');
    } finally {
      victim.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });

test('with the operator key a third party may receive; a join token alone may not; Basic credentials join',
  { skip: SKIP, timeout: 60000 }, async () => {
    const key = 'op-key-destinations', secret = 'join-secret-destinations';
    const mcu = await startMcu(['--log_level=info', `--operator_key=${key}`, `--join_secret=${secret}`]);
    const victim = await listen('127.0.0.2', 26100);
    try {
      const op = { Authorization: `Bearer ${key}` };
      const token = (await mcu.api('POST', '/api/rooms/tv/tokens', { headers: op, body: { ttl_s: 60 } })).json.token;
      const byToken = await join(mcu, 'tv', legacyOffer(26100, { addr: '127.0.0.2' }), { Authorization: `Bearer ${token}` });
      assert.equal(byToken.status, 403, byToken.text);
      assert.equal(byToken.json.error, 'destination_not_allowed');
      // The console's Basic credentials are the operator key too.
      const basic = { Authorization: `Basic ${Buffer.from(`admin:${key}`).toString('base64')}` };
      const byOperator = await join(mcu, 'tv', legacyOffer(26100, { addr: '127.0.0.2' }), basic);
      assert.equal(byOperator.status, 201, byOperator.text);
      await waitFor(() => victim.got.packets > 10, { timeoutMs: 5000, what: 'media at 127.0.0.2' });
      // Even the operator cannot have multicast sent.
      const m = await join(mcu, 'tv', legacyOffer(26100, { addr: '239.1.2.3' }), op);
      assert.equal(m.status, 400, m.text);
    } finally {
      victim.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });

test('a receive-only endpoint that never sends RTCP is dropped; a GStreamer receiver sending reports stays',
  { skip: SKIP || (!fs.existsSync('/usr/bin/gst-launch-1.0') && 'needs Debian gstreamer1.0-tools'), timeout: 60000 },
  async (t) => {
    const mcu = await startMcu(['--log_level=info', `--rtp_timeout_s=${TIMEOUT_S}`]);
    let gst = null, mute = null;
    try {
      // The well-behaved receiver: rtpbin sends a receiver report about
      // every 5 s (RFC 3550's minimum interval) to the server's RTCP port.
      const gbase = await freePorts();
      const good = await join(mcu, 'desk', legacyOffer(gbase));
      assert.equal(good.status, 201, good.text);
      const vport = Number(good.json.sdp.match(/^m=video (\d+)/m)[1]);
      gst = start('gst-launch-1.0', ['-q', 'rtpbin', 'name=rb',
        'udpsrc', `port=${gbase}`, 'address=127.0.0.1',
        'caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96', '!', 'rb.recv_rtp_sink_0',
        'rb.', '!', 'rtph264depay', '!', 'fakesink',
        'udpsrc', `port=${gbase + 1}`, 'address=127.0.0.1', '!', 'rb.recv_rtcp_sink_0',
        'rb.send_rtcp_src_0', '!', 'udpsink', 'host=127.0.0.1', `port=${vport + 1}`, 'sync=false', 'async=false']);
      // The mute one: takes everything, says nothing.
      const mbase = await freePorts();
      mute = await listen('127.0.0.1', mbase);
      const bad = await join(mcu, 'desk', legacyOffer(mbase));
      const joined = Date.now();
      assert.equal(bad.status, 201, bad.text);
      await waitFor(async () => !(await ids(mcu, 'desk')).includes(bad.json.id),
        { timeoutMs: (TIMEOUT_S + 3) * 1000, intervalMs: 200, what: 'the mute receiver dropped' });
      const after = (Date.now() - joined) / 1000;
      t.diagnostic(`mute receiver dropped ${after.toFixed(1)} s after joining (rtp_timeout_s = ${TIMEOUT_S}); it took ${mute.got.packets} packets`);
      assert.ok(after >= TIMEOUT_S - 0.5 && after <= TIMEOUT_S + 1.5, `dropped after ${after} s`);
      assert.ok(mute.got.packets > 0, 'the mute receiver was sent media before');
      // Twice the timeout after its join the reporting receiver is there.
      await sleep(TIMEOUT_S * 1000);
      const room = (await mcu.api('GET', '/api/rooms/desk')).json;
      const kept = room.participants.find((p) => p.id === good.json.id);
      assert.ok(kept, `the GStreamer receiver stays: ${gst.log()}`);
      t.diagnostic(`GStreamer receiver: ${kept.stats.rtcp_in} RTCP packets in, ${kept.stats.packets_out} out`);
      assert.ok(kept.stats.rtcp_in >= 2, 'its receiver reports arrived');
    } finally {
      if (gst) { gst.proc.kill('SIGTERM'); await gst.exited; }
      if (mute) mute.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });
