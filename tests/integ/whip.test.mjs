// whip.test.mjs - a real browser joins a room over WHIP: ICE and DTLS-SRTP
// complete, the server decrypts its audio and video, and DELETE ends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, whipPublish, haveChromium } from './lib/browser.mjs';

test('Chromium publishes over WHIP; server decrypts >100 audio and video packets; DELETE removes it',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 90000 }, async (t) => {
    const mcu = await startMcu();
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      // Any page of the server gives a secure (loopback) origin for getUserMedia.
      await page.goto(`${mcu.base}/api/health`);
      const r = await whipPublish(page, '/whip/lobby?name=alice');
      assert.equal(r.status, 201, `WHIP POST answered ${r.status}: ${r.answer}`);
      assert.match(r.location, /^\/whip\/lobby\/[0-9a-f]{16}$/);
      assert.match(r.answer, /a=setup:passive/);
      assert.ok(r.connected, `peer connection state ${r.connectionState}`);
      assert.equal(r.dtlsState, 'connected', 'Chromium reports DTLS connected');

      const part = await waitFor(async () => {
        const { json } = await mcu.api('GET', '/api/rooms/lobby');
        const p = json?.participants?.[0];
        return p && p.stats.audio.packets_in > 100 && p.stats.video.packets_in > 100 ? p : null;
      }, { timeoutMs: 20000, what: '>100 audio and video packets decrypted' });
      assert.equal(part.name, 'alice');
      assert.equal(part.kind, 'webrtc');
      assert.equal(part.direction, 'sendrecv');
      assert.equal(part.stats.dtls, 'connected');
      assert.ok(['connected', 'ready'].includes(part.stats.ice), `ICE ${part.stats.ice}`);
      assert.match(part.stats.srtp, /^SRTP_(AES128_CM_SHA1_80|AEAD_AES_128_GCM)$/);
      assert.equal(part.stats.srtp_errors, 0);
      assert.ok(part.stats.rtcp_in > 0, 'RTCP from the browser was decrypted too');
      assert.equal(part.id, r.location.split('/').pop());
      const { audio, video } = part.stats;
      t.diagnostic(`srtp ${part.stats.srtp}; audio ${audio.packets_in} pkts ${audio.bytes_in} B ` +
        `lost ${audio.lost} jitter ${audio.jitter_ms} ms; video ${video.packets_in} pkts ` +
        `${video.bytes_in} B lost ${video.lost} jitter ${video.jitter_ms} ms; rtcp ${part.stats.rtcp_in}`);

      const metrics = await mcu.api('GET', '/metrics', { raw: true });
      const audioIn = Number(metrics.text.match(/^mcu_rtp_packets_in_total\{kind="audio"\} (\d+)/m)?.[1]);
      assert.ok(audioIn > 100, `/metrics counts audio packets (${audioIn})`);

      const del = await mcu.api('DELETE', r.location);
      assert.equal(del.status, 200);
      const room = await mcu.api('GET', '/api/rooms/lobby');
      assert.equal(room.status, 200);
      assert.deepEqual(room.json.participants, []);
      assert.equal((await mcu.api('DELETE', r.location)).status, 404, 'a second DELETE is 404');
    } finally {
      await browser.close();
      const { code } = await mcu.stop();
      assert.equal(code, 0, 'mcu exits 0 on SIGTERM');
    }
  });
