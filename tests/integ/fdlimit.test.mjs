// fdlimit.test.mjs - at the open-file limit joins are refused with 503
// no_resources and Retry-After, never an abort: under prlimit 512, WHIP
// and plain-RTP joins go on until the descriptors run short, the server
// keeps answering, and once the participants leave a WHIP join works again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startMcu } from './lib/mcu.mjs';
import { webrtcOffer, legacyOffer } from './lib/offers.mjs';

const haveprlimit = spawnSync('prlimit', ['--version']).status === 0;

test('under prlimit --nofile=512: joins past the limit are 503 no_resources, the server stays up',
  { skip: !haveprlimit && 'needs prlimit (util-linux)', timeout: 90000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info', '--max_participants=1000', '--cpu_budget=off'],
      { wrap: ['prlimit', '--nofile=512:512', '--'] });
    const sdp = { 'Content-Type': 'application/sdp' };
    const sessions = [];
    let refused = null;
    try {
      // More than 512 descriptors' worth of joins (a WebRTC one opens 3):
      // WHIP, and plain RTP every fourth (each on its own ports above the
      // server's range).
      for (let i = 0; i < 300 && !refused; i++) {
        const r = i % 4 === 3
          ? await mcu.api('POST', '/api/rooms/full/participants', { body: { sdp: legacyOffer(20000 + 4 * i) } })
          : await mcu.api('POST', '/whip/full', { body: webrtcOffer(), headers: sdp });
        if (r.status === 201) {
          sessions.push(r.headers.get('location') || r.json.location);
          continue;
        }
        refused = { i, r };
      }
      assert.ok(refused, `a join was refused within 300 (${sessions.length} joined)`);
      t.diagnostic(`${sessions.length} joins, then join ${refused.i}: ${refused.r.status} ${refused.r.text}`);
      assert.equal(refused.r.status, 503, refused.r.text);
      assert.equal(refused.r.json.error, 'no_resources');
      assert.match(refused.r.json.message, /file descriptors/);
      assert.ok(Number(refused.r.headers.get('retry-after')) > 0, 'Retry-After');
      assert.ok(sessions.length >= 20, `a fair number joined first (${sessions.length})`);
      // Plain RTP, which needs fewer, fits a few more, then is refused for
      // the same reason (not "no free port pair"); the server answers.
      let legacy = null;
      for (let i = 0; i < 20; i++) {
        legacy = await mcu.api('POST', '/api/rooms/full/participants', { body: { sdp: legacyOffer(22000 + 4 * i) } });
        if (legacy.status !== 201) break;
        sessions.push(legacy.json.location);
      }
      assert.equal(legacy.status, 503, legacy.text);
      assert.equal(legacy.json.error, 'no_resources');
      assert.equal((await mcu.api('GET', '/api/health')).status, 200);
      assert.equal((await mcu.api('GET', '/api/rooms/full')).json.participants.length, sessions.length);

      for (const loc of sessions) assert.equal((await mcu.api('DELETE', loc)).status, 200, `leave ${loc}`);
      const again = await mcu.api('POST', '/whip/again', { body: webrtcOffer(), headers: sdp });
      assert.equal(again.status, 201, `a join after they left: ${again.text}`);
      assert.ok(!/Too many open files/.test(mcu.log()), 'GLib never ran out of descriptors');
    } finally {
      const { code, signal } = await mcu.stop();
      assert.equal(signal, null, 'not killed by a signal (no abort)');
      assert.equal(code, 0);
    }
  });
