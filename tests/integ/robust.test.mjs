// robust.test.mjs - the server under churn and junk: 200 join/leave cycles of
// plain RTP participants leave its file descriptors where they started and
// its memory near where it settled; 5 s of random datagrams at the media
// ports of a room where two browsers talk crash nothing, and both keep
// receiving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium, joinRoom, inboundVideo } from './lib/browser.mjs';
import { legacyOffer } from './lib/offers.mjs';

// Open descriptors other than TCP connections: the test's own HTTP client
// keeps one or two alive at will, which says nothing of the server.
function fds(pid) {
  const tcp = new Set();
  for (const f of ['tcp', 'tcp6']) {
    for (const line of fs.readFileSync(`/proc/${pid}/net/${f}`, 'utf8').split('\n').slice(1))
      if (line.trim()) tcp.add(line.trim().split(/\s+/)[9]);
  }
  return fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      const m = fs.readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      return !(m && tcp.has(m[1]));
    } catch { return false; } // closed meanwhile
  }).length;
}
const rssKb = (pid) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

test('200 join/leave cycles: file descriptors back where they started, memory within 10%',
  { timeout: 120000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info']);
    try {
      // The room exists throughout (one resident keeps it from ending).
      const resident = await mcu.api('POST', '/api/rooms/churn/participants', { body: { sdp: legacyOffer(27000) } });
      assert.equal(resident.status, 201, resident.text);
      const pid = mcu.proc.pid;
      const cycle = async (i) => {
        const r = await mcu.api('POST', '/api/rooms/churn/participants', { body: { sdp: legacyOffer(27100 + 4 * (i % 50)), profile: 'ld' } });
        assert.equal(r.status, 201, r.text);
        await new Promise((res) => setTimeout(res, 30)); // let the room take it in and send to it
        assert.equal((await mcu.api('DELETE', `/api/rooms/churn/participants/${r.json.id}`)).status, 200);
      };
      const fdStart = fds(pid);
      for (let i = 0; i < 20; i++) await cycle(i);
      const rss20 = rssKb(pid);
      for (let i = 20; i < 200; i++) await cycle(i);
      await new Promise((res) => setTimeout(res, 500));
      const fdEnd = fds(pid), rss200 = rssKb(pid);
      t.diagnostic(`fds ${fdStart} -> ${fdEnd}; RSS after 20 cycles ${rss20} kB, after 200 ${rss200} kB`);
      assert.equal(fdEnd, fdStart, 'no file descriptor leaked');
      // Under AddressSanitizer freed memory waits in its quarantine (up to
      // 256 MB), so RSS says nothing there; LeakSanitizer judges leaks when
      // the server exits (its exit code is asserted below).
      if (process.env.SAN === '1')
        t.diagnostic('SAN=1: RSS not judged (ASan quarantine); leaks are LeakSanitizer\'s to report');
      else
        assert.ok(rss200 <= rss20 * 1.1, `RSS ${rss200} kB within 10% of ${rss20} kB`);
      const h = (await mcu.api('GET', '/api/health')).json;
      assert.equal(h.participants, 1);
    } finally {
      assert.equal((await mcu.stop()).code, 0);
    }
  });

// Datagrams of every kind the demultiplexer knows, with random rest.
function junk(i) {
  const len = 1 + crypto.randomInt(1400);
  const b = crypto.randomBytes(len);
  const kinds = [0x00, 0x01, 0x16, 0x17, 0x80, 0x90, 0xc0, 0x40, 0xff];
  b[0] = kinds[i % kinds.length] | (i % 3 === 0 ? crypto.randomInt(4) : 0);
  if (len > 1 && i % 5 === 0) b[1] = 200 + (i % 7); // RTCP packet types
  return b;
}

test('5 s of random datagrams at a room\'s media ports: no crash, both participants keep receiving',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 90000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info', '--max_packet_rate=1000']);
    const browser = await launchBrowser();
    const sock = dgram.createSocket('udp4');
    try {
      const pages = [];
      for (const [css, freq] of [['#ff0000', 440], ['#00ff00', 670]]) {
        const page = await browser.newPage();
        await page.goto(`${mcu.base}/api/health`);
        const r = await joinRoom(page, '/whip/noise', { color: css, freq });
        assert.equal(r.status, 201);
        pages.push(page);
      }
      // The server's media ports: the candidates in its answers, and a
      // plain RTP participant's ports as well.
      const ports = new Set();
      for (const page of pages) {
        const sdp = await page.evaluate(() => window.mcu.pc.remoteDescription.sdp);
        for (const m of sdp.matchAll(/a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+) typ host/g)) ports.add(Number(m[1]));
      }
      const legacy = await mcu.api('POST', '/api/rooms/noise/participants', { body: { sdp: legacyOffer(27500) } });
      for (const m of legacy.json.sdp.matchAll(/^m=\w+ (\d+)/gm)) { ports.add(Number(m[1])); ports.add(Number(m[1]) + 1); }
      assert.ok(ports.size >= 4, `media ports found: ${[...ports]}`);
      const frames = (p) => waitFor(async () => (await inboundVideo(p))?.framesDecoded, { what: 'video' });
      const before = await Promise.all(pages.map(frames));
      let sent = 0;
      const end = Date.now() + 5000;
      while (Date.now() < end && sent < 40000) {
        for (const port of ports) { sock.send(junk(sent), port, '127.0.0.1'); sent++; }
        if (sent % 200 < ports.size) await new Promise((res) => setTimeout(res, 5));
      }
      await new Promise((res) => setTimeout(res, 1000));
      const after = await Promise.all(pages.map(frames));
      t.diagnostic(`${sent} junk datagrams to ports ${[...ports].join(',')}; frames decoded ${before} -> ${after}`);
      assert.ok(after[0] - before[0] > 25 && after[1] - before[1] > 25, 'both kept receiving video');
      assert.equal((await mcu.api('GET', '/api/health')).status, 200);
      const room = (await mcu.api('GET', '/api/rooms/noise')).json;
      assert.equal(room.participants.length, 3);
      // libnice drops what comes from no candidate of the peer; the plain RTP
      // ports take 127.0.0.1 (the offer's address) and must refuse the junk.
      for (const p of room.participants.filter((x) => x.kind === 'webrtc'))
        assert.equal(p.stats.dtls, 'connected');
      const rtp = room.participants.find((x) => x.kind === 'rtp');
      t.diagnostic(`plain RTP participant: ${rtp.stats.other_in} refused, ${rtp.stats.rate_limited} over the rate cap`);
      assert.ok(rtp.stats.other_in > 1000, `the junk was seen and refused (${rtp.stats.other_in})`);
      assert.ok(rtp.stats.rate_limited > 0, 'a flood hits the inbound packet-rate cap');
    } finally {
      sock.close();
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });
