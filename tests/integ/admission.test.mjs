// admission.test.mjs - admission control against cpu_budget: with a room
// running, a join that would need another encoder past the budget gets 503
// with Retry-After, while a viewer of a profile already encoded (which costs
// packetization only) still gets in, and the running room keeps its frame
// rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { webrtcOffer } from './lib/offers.mjs';
import { launchBrowser, haveChromium, joinRoom, inboundVideo } from './lib/browser.mjs';

async function fps(page, ms) {
  const a = (await inboundVideo(page)).framesDecoded;
  await new Promise((r) => setTimeout(r, ms));
  return ((await inboundVideo(page)).framesDecoded - a) / (ms / 1000);
}

test('past cpu_budget a join is 503 + Retry-After; the running room keeps its frame rate',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 60000 }, async (t) => {
    // One hd room of one browser is estimated at ~0.24 CPU (mcu/cost.h).
    const mcu = await startMcu(['--cpu_budget=0.25']);
    const browser = await launchBrowser();
    const sdp = { 'Content-Type': 'application/sdp' };
    try {
      const page = await browser.newPage();
      await page.goto(`${mcu.base}/api/health`);
      assert.equal((await joinRoom(page, '/whip/a', { color: '#ff0000', freq: 440 })).status, 201);
      await waitFor(async () => (await inboundVideo(page))?.framesDecoded > 30, { what: 'video flowing' });
      const before = await fps(page, 2000);

      let r = await mcu.api('POST', '/whip/b', { body: webrtcOffer(), headers: sdp });
      assert.equal(r.status, 503, `a second hd room: ${r.text}`);
      assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After');
      assert.equal(r.json.error, 'at_capacity');
      r = await mcu.api('POST', '/whep/a?profile=sd', { body: webrtcOffer({ direction: 'recvonly' }), headers: sdp });
      assert.equal(r.status, 503, 'an sd viewer needs a new encoder');
      r = await mcu.api('POST', '/whep/a', { body: webrtcOffer({ direction: 'recvonly' }), headers: sdp });
      assert.equal(r.status, 201, `an hd viewer of room a costs packetization only: ${r.text}`);
      assert.match(mcu.log(), /join refused: it would cost [\d.]+ CPU of a budget of 0\.25/);

      const after = await fps(page, 2000);
      t.diagnostic(`room a: ${before.toFixed(1)} fps before the refused joins, ${after.toFixed(1)} after`);
      assert.ok(after >= 20, `the running room keeps its frame rate (${after} fps)`);
      assert.equal((await mcu.api('GET', '/api/rooms/b')).status, 404, 'the refused join left no room behind');
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });

test('offers that never do ICE cost admission little: 20 ghosts, then a real join to a new room is 201',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 60000 }, async (t) => {
    // 1.8 CPU is the budget of this 2-core machine kind; each ghost, charged
    // as the hd room it asks for (~0.24), would fill it by the 8th.
    const mcu = await startMcu(['--cpu_budget=1.8']);
    const browser = await launchBrowser();
    const sdp = { 'Content-Type': 'application/sdp' };
    try {
      // Their one candidate (127.0.0.1:50000) never answers.
      for (let i = 0; i < 20; i++) {
        const r = await mcu.api('POST', `/whip/ghost-${i}`, { body: webrtcOffer(), headers: sdp });
        assert.equal(r.status, 201, `ghost ${i}: ${r.text}`);
      }
      const page = await browser.newPage();
      await page.goto(`${mcu.base}/api/health`);
      const r = await joinRoom(page, '/whip/real', { color: '#00ff00', freq: 540 });
      assert.equal(r.status, 201, `a real join past 20 ghosts: ${r.answer}`);
      await waitFor(async () => (await inboundVideo(page))?.framesDecoded > 10, { what: 'video flowing' });
      const rooms = (await mcu.api('GET', '/api/rooms')).json.rooms.length;
      t.diagnostic(`${rooms} rooms; the real participant decodes the composite`);
      assert.equal(rooms, 21);
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });

test('a room that takes more CPU than its model is charged what it measurably takes',
  { timeout: 60000 }, async (t) => {
    // A new hd room of one participant is modelled at ~0.24 CPU: with the
    // running room's model near 0 the budget of 0.5 would admit it.
    const mcu = await startMcu(['--cpu_budget=0.5', '--test_hooks=true']);
    const sdp = { 'Content-Type': 'application/sdp' };
    const cost = async () => (await mcu.api('GET', '/api/rooms/hot')).json.cost;
    try {
      assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: 'hot' } })).status, 201);
      // 20 ms of CPU at each video tick (30 a second): ~0.6 CPU.
      let r = await mcu.api('POST', '/api/rooms/hot/stall', { body: { video_work_ms: 20 } });
      assert.equal(r.status, 202, r.text);
      await waitFor(async () => (await cost()).measured > 0.4, { what: 'the measured cost' });
      const c = await cost();
      t.diagnostic(`room hot: model ${c.model.toFixed(3)} CPU, measured ${c.measured.toFixed(3)} CPU`);
      assert.ok(c.model < 0.1, `the model alone would admit the join (${c.model})`);
      r = await mcu.api('POST', '/whip/cold', { body: webrtcOffer(), headers: sdp });
      assert.equal(r.status, 503, `a join past the measured cost: ${r.text}`);
      assert.equal(r.json.error, 'at_capacity');
      assert.match(mcu.log(), /room=cold join refused: it would cost [\d.]+ CPU of a budget of 0\.50/);
      const mixer = (await mcu.api('GET', '/api/rooms/hot')).json.mixer;
      assert.ok(mixer.cpu_us > 1e6, `the room's work is counted (${mixer.cpu_us} µs)`);

      // Back to what the model says: admitted again.
      r = await mcu.api('POST', '/api/rooms/hot/stall', { body: { video_work_ms: 0 } });
      assert.equal(r.status, 202);
      await waitFor(async () => (await cost()).measured < 0.1, { what: 'the measured cost falling' });
      r = await mcu.api('POST', '/whip/cold', { body: webrtcOffer(), headers: sdp });
      assert.equal(r.status, 201, `a join once the room is cheap again: ${r.text}`);
    } finally {
      assert.equal((await mcu.stop()).code, 0);
    }
  });
