// overload.test.mjs - audio never waits for video: with the room's video
// work made slower than real time (the test hook video_work_ms spins CPU at
// each video tick), a receiver still gets 50 audio packets a second, the
// room sheds video frames instead, and the room JSON counts video misses,
// not audio ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium, joinRoom, inboundVideo } from './lib/browser.mjs';

// The inbound audio packets and video frames, with the stats' own time
// (ms): rates over the browser's clock, not over when the calls returned.
async function inbound(page) {
  return page.evaluate(async () => {
    const r = { audio: 0, video: 0, ms: 0 };
    (await window.mcu.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') { r.audio = s.packetsReceived; r.ms = s.timestamp; }
      if (s.type === 'inbound-rtp' && s.kind === 'video') r.video = s.framesDecoded;
    });
    return r;
  });
}

// Audio packets/s and video frames/s a page receives over about ms.
async function rates(page, ms) {
  const a = await inbound(page);
  await new Promise((r) => setTimeout(r, ms));
  const b = await inbound(page);
  const secs = (b.ms - a.ms) / 1000;
  return { audio: (b.audio - a.audio) / secs, video: (b.video - a.video) / secs };
}

test('video slower than real time: audio keeps 50 packets/s, the room sheds video frames',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 90000 }, async (t) => {
    const mcu = await startMcu(['--test_hooks=true']);
    const browser = await launchBrowser();
    try {
      const pages = [];
      for (const [color, freq] of [['#ff0000', 440], ['#00ff00', 660]]) {
        const page = await browser.newPage();
        await page.goto(`${mcu.base}/api/health`);
        assert.equal((await joinRoom(page, '/whip/ov', { color, freq })).status, 201);
        pages.push(page);
      }
      const rx = pages[1];
      await waitFor(async () => (await inboundVideo(rx))?.framesDecoded > 30, { what: 'video flowing' });
      await waitFor(async () => (await inbound(rx)).audio > 100, { what: 'audio flowing' });
      const before = await rates(rx, 3000);

      // 30 ms of CPU on top of each 33 ms video tick: the video work can
      // no longer keep up.
      let r = await mcu.api('POST', '/api/rooms/ov/stall', { body: { video_work_ms: 30 } });
      assert.equal(r.status, 202, r.text);
      await new Promise((res) => setTimeout(res, 1000));
      const m0 = (await mcu.api('GET', '/api/rooms/ov')).json.mixer;
      const during = await rates(rx, 5000);
      const m1 = (await mcu.api('GET', '/api/rooms/ov')).json.mixer;
      r = await mcu.api('POST', '/api/rooms/ov/stall', { body: { video_work_ms: 0 } });
      assert.equal(r.status, 202);

      const audioLate = m1.audio_misses - m0.audio_misses, videoLate = m1.video_misses - m0.video_misses;
      t.diagnostic(`receiver before: ${before.audio.toFixed(1)} audio pkt/s, ${before.video.toFixed(1)} fps; ` +
        `with slow video: ${during.audio.toFixed(1)} audio pkt/s, ${during.video.toFixed(1)} fps; ` +
        `late ticks meanwhile: ${audioLate} audio, ${videoLate} video`);
      assert.ok(during.audio >= 48, `audio holds 50 packets/s (${during.audio.toFixed(1)})`);
      assert.ok(videoLate >= 30, `the room counts the video it shed (${videoLate} misses in 5 s)`);
      assert.ok(audioLate <= 2, `no audio tick is late (${audioLate})`);
      assert.ok(during.video < before.video - 5,
        `video sheds frames (${during.video.toFixed(1)} fps, ${before.video.toFixed(1)} before)`);
      assert.match(mcu.log(), /room=ov falls behind real time/);
      // and it recovers
      await waitFor(async () => (await rates(rx, 1000)).video > 20, { what: 'video back to speed' });
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });
