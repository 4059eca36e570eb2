// trickle.test.mjs - WHIP PATCH (RFC 9725 / 8840): a browser that trickles its
// candidates connects; an ICE restart gives new credentials and media goes on;
// a PATCH naming an old ICE session (If-Match) is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, whipTrickle, haveChromium } from './lib/browser.mjs';

const audioPackets = async (mcu) => {
  const { json } = await mcu.api('GET', '/api/rooms/trickle');
  return json?.participants?.[0]?.stats?.audio?.packets_in ?? 0;
};

test('Chromium trickles candidates over PATCH, then restarts ICE; media keeps flowing',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 90000 }, async (t) => {
    const mcu = await startMcu();
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${mcu.base}/api/health`);
      const r = await whipTrickle(page, '/whip/trickle', { restart: true });
      assert.equal(r.status, 201, r.answer);
      assert.doesNotMatch(r.answer.split('m=')[0], /a=candidate/, 'no candidates before the first m=');
      assert.ok(r.patchStatuses.length >= 2, `candidates and end-of-candidates were PATCHed: ${r.patchStatuses}`);
      assert.ok(r.patchStatuses.every((s) => s === 204), `every trickle PATCH is 204: ${r.patchStatuses}`);
      assert.ok(r.connected, 'connected with trickled candidates only');
      assert.ok(await waitFor(async () => (await audioPackets(mcu)) > 50, { what: 'audio after trickle' }));

      assert.equal(r.restartStatus, 200, r.restartBody);
      assert.equal(r.restartType, 'application/trickle-ice-sdpfrag');
      const oldUfrag = r.answer.match(/a=ice-ufrag:(\S+)/)[1];
      const newUfrag = r.restartBody.match(/a=ice-ufrag:(\S+)/)[1];
      assert.notEqual(newUfrag, oldUfrag, 'the server answers a restart with new credentials');
      assert.match(r.restartBody, /a=candidate:/);
      assert.notEqual(r.restartEtag, r.etag, 'a restart makes a new ETag');
      assert.ok(r.restartConnected, 'connected again after the restart');
      const before = await audioPackets(mcu);
      assert.ok(await waitFor(async () => (await audioPackets(mcu)) > before + 50,
        { what: 'audio after the ICE restart' }));
      t.diagnostic(`trickle PATCHes ${r.patchStatuses.length}; audio packets ${before} at restart`);
      assert.equal(r.oldEtagStatus, 412, 'If-Match with the old ETag is 412');

      const bad = await mcu.api('PATCH', r.location, { body: 'garbage without equals',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
      assert.equal(bad.status, 400);
      const unknown = await mcu.api('PATCH', '/whip/trickle/0123456789abcdef', { body: 'a=end-of-candidates\r\n',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
      assert.equal(unknown.status, 404);
      assert.equal((await mcu.api('DELETE', r.location)).status, 200);
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });
