// deadpeer.test.mjs - participants that vanish without leaving are removed:
// a browser page that closes (its DTLS closes, its RTCP stops), and a
// participant whose transport never carries anything. The room's layout
// and /metrics follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { webrtcOffer } from './lib/offers.mjs';
import { launchBrowser, haveChromium, joinRoom } from './lib/browser.mjs';

function metric(text, name) {
  return Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
}

test('a participant that never sends anything is dropped after media_timeout_s', { timeout: 30000 }, async () => {
  const mcu = await startMcu(['--media_timeout_s=2']);
  try {
    const r = await mcu.api('POST', '/api/rooms/quiet/participants', { body: { sdp: webrtcOffer() } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await mcu.api('GET', '/api/rooms/quiet')).json.participants.length, 1);
    const t0 = Date.now();
    await waitFor(async () => (await mcu.api('GET', '/api/rooms/quiet')).json.participants.length === 0,
      { timeoutMs: 10000, what: 'the silent participant dropped' });
    assert.ok(Date.now() - t0 >= 1000, 'not before its timeout');
    assert.match(mcu.log(), /dropped: no media or RTCP/);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('a browser that goes away without DELETE is removed; layout and metrics follow',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 60000 }, async (t) => {
    const mcu = await startMcu(['--media_timeout_s=3']);
    const browser = await launchBrowser();
    try {
      const pages = [];
      for (const [css, freq] of [['#ff0000', 440], ['#00ff00', 670]]) {
        const page = await browser.newPage();
        await page.goto(`${mcu.base}/api/health`);
        assert.equal((await joinRoom(page, '/whip/gone', { color: css, freq })).status, 201);
        pages.push(page);
      }
      await waitFor(async () => (await mcu.api('GET', '/api/rooms/gone')).json.mixer.tiles === 2,
        { what: 'two tiles' });
      await pages[1].close(); // no DELETE: the page just goes
      const t0 = Date.now();
      const room = await waitFor(async () => {
        const j = (await mcu.api('GET', '/api/rooms/gone')).json;
        return j.participants.length === 1 && j.mixer.tiles === 1 ? j : null;
      }, { timeoutMs: 15000, what: 'the vanished participant removed' });
      t.diagnostic(`removed ${Date.now() - t0} ms after the page closed: ` +
        `${mcu.log().split('\n').filter((l) => l.includes('dropped:')).join('; ')}`);
      assert.equal(room.participants.length, 1);
      const m = (await mcu.api('GET', '/metrics', { raw: true })).text;
      assert.equal(metric(m, 'mcu_participants'), 1);
      assert.match(m, /^mcu_room_video_decoders\{room="gone"\} 1$/m);
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });
