// stuck.test.mjs - one room's thread stuck (the test hook test_hooks:
// POST /api/rooms/{room}/stall) slows nothing else: while it sleeps 5 s,
// /api/health, GET /api/rooms and a join to another room each answer within
// 1 s, and a join to the stuck room fails with 503 room_unresponsive when
// its bounded wait expires, leaving no participant and no descriptor
// behind. Without test_hooks the hook does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { webrtcOffer } from './lib/offers.mjs';

const sdp = { 'Content-Type': 'application/sdp' };

async function timed(fn) {
  const t0 = Date.now();
  const r = await fn();
  return { r, ms: Date.now() - t0 };
}

function openFds(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

test('a stuck room holds up only its own joins, which fail cleanly at the bounded wait',
  { timeout: 60000 }, async (t) => {
    // One HTTP thread: a join waiting on it would hold up every request.
    const mcu = await startMcu(['--test_hooks=true', '--http_threads=1']);
    try {
      for (const name of ['stuck', 'other']) {
        assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: name } })).status, 201);
      }
      let r = await mcu.api('POST', '/whip/stuck', { body: webrtcOffer(), headers: sdp });
      assert.equal(r.status, 201, `a join before the stall: ${r.text}`);
      // Settle: the descriptors of a room and of a participant are open now.
      await new Promise((res) => setTimeout(res, 300));
      const fdsBefore = openFds(mcu.proc.pid);

      r = await mcu.api('POST', '/api/rooms/stuck/stall', { body: { ms: 5000 } });
      assert.equal(r.status, 202, r.text);
      const stalledAt = Date.now();
      // Its rejection is awaited below; a handler now keeps node from
      // reporting it as unhandled meanwhile.
      const stuckJoin = timed(() => mcu.api('POST', '/whip/stuck', { body: webrtcOffer(), headers: sdp }));
      stuckJoin.catch(() => {});
      await new Promise((res) => setTimeout(res, 100)); // the join now waits for the stuck room

      const health = await timed(() => mcu.api('GET', '/api/health'));
      const list = await timed(() => mcu.api('GET', '/api/rooms'));
      const other = await timed(() => mcu.api('POST', '/whip/other', { body: webrtcOffer(), headers: sdp }));
      const room = await timed(() => mcu.api('GET', '/api/rooms/stuck'));
      t.diagnostic(`while stuck: health ${health.ms} ms, rooms ${list.ms} ms, join other ${other.ms} ms, ` +
        `room ${room.ms} ms`);
      assert.equal(health.r.status, 200);
      assert.equal(list.r.status, 200);
      assert.equal(list.r.json.rooms.length, 2);
      assert.equal(other.r.status, 201, `join to another room: ${other.r.text}`);
      assert.equal(room.r.status, 200);
      for (const [what, x] of [['health', health], ['rooms', list], ['join other', other], ['room', room]]) {
        assert.ok(x.ms < 1000, `${what} answered in ${x.ms} ms while a room was stuck`);
      }
      assert.ok(Date.now() - stalledAt < 4500, 'all of it while the room was still stuck');

      const stuck = await stuckJoin;
      t.diagnostic(`the join to the stuck room: ${stuck.r.status} after ${stuck.ms} ms`);
      assert.equal(stuck.r.status, 503, stuck.r.text);
      assert.equal(stuck.r.json.error, 'room_unresponsive');
      assert.ok(Number(stuck.r.headers.get('retry-after')) > 0, 'Retry-After');
      assert.ok(stuck.ms >= 1500 && stuck.ms < 4500, `it failed at the bounded wait (${stuck.ms} ms)`);
      assert.match(mcu.log(), /room=stuck join refused: the room's thread did not answer/);

      // Nothing of it stays: one participant in the room, the other's
      // descriptors only.
      const after = await mcu.api('GET', '/api/rooms/stuck');
      assert.equal(after.json.participants.length, 1);
      assert.equal((await mcu.api('GET', '/api/health')).json.participants, 2);
      const otherId = other.r.headers.get('location').split('/').pop();
      assert.equal((await mcu.api('DELETE', `/whip/other/${otherId}`)).status, 200);
      await waitFor(() => openFds(mcu.proc.pid) <= fdsBefore, { timeoutMs: 5000, what: 'descriptors back' });

      // Awake again, the room takes joins.
      await waitFor(() => Date.now() - stalledAt > 5300, { what: 'the stall over' });
      r = await mcu.api('POST', '/whip/stuck', { body: webrtcOffer(), headers: sdp });
      assert.equal(r.status, 201, `a join after the stall: ${r.text}`);
    } finally {
      assert.equal((await mcu.stop()).code, 0);
    }
  });

test('without test_hooks there is no stall hook', { timeout: 30000 }, async () => {
  const mcu = await startMcu();
  try {
    assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: 'r' } })).status, 201);
    const r = await mcu.api('POST', '/api/rooms/r/stall', { body: { ms: 100 } });
    assert.equal(r.status, 404);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});
