// mixer.test.mjs - the room mixer with real browsers: three Chromium
// participants (one canvas colour and one tone each) and a WHEP viewer in
// one room. Each participant sees the others' colours and hears the others'
// tones but not its own (mix-minus); the viewer sees and hears all three;
// the sd participant receives 640x360; the room runs exactly two video
// encoders (hd and sd); one who leaves is gone from the composite quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium, joinRoom, observe, inboundVideo } from './lib/browser.mjs';

const COLORS = { red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255] };
const PEOPLE = [
  { name: 'red', css: '#ff0000', freq: 440, profile: 'hd' },
  { name: 'green', css: '#00ff00', freq: 670, profile: 'hd' },
  { name: 'blue', css: '#0000ff', freq: 930, profile: 'sd' },
];
const FREQS = PEOPLE.map((p) => p.freq);
const SEEN = 0.04;       // share of the picture a visible tile covers at least
const HEARD_DB = -55;    // a tone in the mix is well above this
const QUIET_DB = 25;     // own tone: at least this far below the others

function cpuTicks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

// Does page see and hear who it should? Returns null when yes, else why not.
function judge(o, expectColors, expectTones, ownTone) {
  for (const c of expectColors) if (!(o.colors[c] > SEEN)) return `does not see ${c}: ${JSON.stringify(o.colors)}`;
  for (const f of expectTones) if (!(o.tones[f] > HEARD_DB)) return `does not hear ${f} Hz: ${JSON.stringify(o.tones)}`;
  if (ownTone) {
    const quietestOther = Math.min(...expectTones.map((f) => o.tones[f]));
    if (!(o.tones[ownTone] < quietestOther - QUIET_DB)) return `hears itself at ${ownTone} Hz: ${JSON.stringify(o.tones)}`;
  }
  return null;
}

test('three browsers and a WHEP viewer: composite, mix-minus, profiles, leave',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 150000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info']);
    const browser = await launchBrowser();
    try {
      const pages = [];
      for (const p of PEOPLE) {
        const page = await browser.newPage();
        await page.goto(`${mcu.base}/api/health`);
        const r = await joinRoom(page, `/whip/mix?name=${p.name}&profile=${p.profile}`, { color: p.css, freq: p.freq });
        assert.equal(r.status, 201, `${p.name} joins: ${r.answer}`);
        assert.ok(r.connected, `${p.name} connected`);
        pages.push({ ...p, page, location: r.location });
      }
      const viewer = await browser.newPage();
      await viewer.goto(`${mcu.base}/api/health`);
      const v = await joinRoom(viewer, '/whep/mix');
      assert.equal(v.status, 201, `viewer joins: ${v.answer}`);
      assert.match(v.location, /^\/whep\/mix\//);

      // Every participant: the other two colours and tones, not its own tone.
      for (const p of pages) {
        const others = PEOPLE.filter((q) => q.name !== p.name);
        const o = await waitFor(async () => {
          const seen = await observe(p.page, COLORS, FREQS);
          return judge(seen, others.map((q) => q.name), others.map((q) => q.freq), p.freq) ? null : seen;
        }, { timeoutMs: 30000, intervalMs: 500, what: `${p.name} sees and hears the others only` })
          .catch(async (e) => { throw new Error(`${e.message}\nlast: ${JSON.stringify(await observe(p.page, COLORS, FREQS))}`); });
        t.diagnostic(`${p.name}: colours ${JSON.stringify(o.colors)} tones ${JSON.stringify(o.tones)} ` +
          `first composite frame ${Math.round(o.firstFrameMs)} ms after the WHIP POST`);
      }
      // The viewer: all three of each.
      const seen = await waitFor(async () => {
        const o = await observe(viewer, COLORS, FREQS);
        return judge(o, Object.keys(COLORS), FREQS, null) ? null : o;
      }, { timeoutMs: 20000, intervalMs: 500, what: 'viewer sees and hears all three' });
      t.diagnostic(`viewer: ${seen.width}x${seen.height}, first frame ${Math.round(seen.firstFrameMs)} ms after POST`);
      assert.equal(seen.width, 1280);
      assert.equal(seen.height, 720);

      // Profiles: the sd participant gets 640x360, the others 1280x720 --
      // unless the room moved one down on its REMB (a loaded machine can
      // make Chromium's estimate dip): then its picture must be the size of
      // the profile the room says it sends it.
      const SIZES = { hd: [1280, 720], sd: [640, 360], ld: [320, 180] };
      const adapted = () => mcu.log().split('\n').filter((l) => l.includes(' moves from ')).join('; ');
      for (const p of pages) {
        const st = await waitFor(async () => {
          const s = await inboundVideo(p.page);
          return s && s.frameWidth ? s : null;
        }, { what: `${p.name} decodes video` });
        const me = (await mcu.api('GET', '/api/rooms/mix')).json.participants.find((x) => x.name === p.name);
        const size = [st.frameWidth, st.frameHeight];
        if (me.receiving_profile !== p.profile)
          t.diagnostic(`${p.name} asked ${p.profile}, gets ${me.receiving_profile}: ${adapted()}`);
        assert.deepEqual(size, SIZES[me.receiving_profile],
          `${p.name} (${p.profile}, receiving ${me.receiving_profile}) frame size; ${adapted()}`);
        if (p.profile === 'sd')
          assert.deepEqual(size, [640, 360], 'the sd participant receives 640x360');
      }
      const room = (await mcu.api('GET', '/api/rooms/mix')).json;
      assert.equal(room.participants.length, 4);
      // One encoder per profile received: with three hd receivers and one sd,
      // exactly two (more only if the room moved someone down meanwhile).
      const profilesUsed = new Set(room.participants.filter((x) => x.receiving_profile)
        .map((x) => x.receiving_profile));
      assert.equal(room.mixer.video_encoders, profilesUsed.size,
        `one encoder per profile in use: ${JSON.stringify(room.mixer)}; ${adapted()}`);
      if (!adapted()) {
        assert.equal(room.mixer.video_encoders, 2, 'three hd receivers and one sd: two encoders');
        assert.deepEqual(room.mixer.profiles, ['hd', 'sd']);
      }
      assert.equal(room.mixer.video_decoders, 3);
      assert.equal(room.mixer.audio_decoders, 3);
      assert.equal(room.mixer.tiles, 3);
      const metrics = (await mcu.api('GET', '/metrics', { raw: true })).text;
      assert.match(metrics, new RegExp(`^mcu_room_video_encoders\\{room="mix"\\} ${room.mixer.video_encoders}$`, 'm'));

      // Cost of the room, figures for the note (not asserted).
      // The video codec calls' CPU (room JSON) moves, and within what the
      // whole process used.
      const hz = 100;
      const before = (await mcu.api('GET', '/api/rooms/mix')).json.mixer;
      const c0 = cpuTicks(mcu.proc.pid), t0 = Date.now();
      await new Promise((r) => setTimeout(r, 5000));
      const later = (await mcu.api('GET', '/api/rooms/mix')).json.mixer;
      const secs = (Date.now() - t0) / 1000;
      const cpu = (cpuTicks(mcu.proc.pid) - c0) / hz / secs;
      const codecs = (later.decode_us - before.decode_us + later.encode_us - before.encode_us) / 1e6 / secs;
      t.diagnostic(`mcu CPU with 3 senders + viewer (hd+sd encodes): ${cpu.toFixed(3)} CPU-s per media-s, ` +
        `${codecs.toFixed(3)} of it in video codecs; mixer ${JSON.stringify(later)}`);
      assert.ok(later.decode_us > before.decode_us && later.encode_us > before.encode_us, 'codec CPU counted');
      assert.ok(codecs > 0.01 && codecs <= cpu + 0.05, `video codecs ${codecs.toFixed(3)} within the process's ${cpu.toFixed(3)} CPU-s/s`);

      // Blue leaves: gone from the viewer's composite within a second.
      const blue = pages.find((p) => p.name === 'blue');
      const del = await mcu.api('DELETE', blue.location);
      assert.equal(del.status, 200);
      const left = Date.now();
      await waitFor(async () => {
        const o = await observe(viewer, COLORS, FREQS);
        return o.colors.blue < 0.002 && o.colors.red > SEEN && o.colors.green > SEEN;
      }, { timeoutMs: 5000, intervalMs: 50, what: 'blue gone from the composite' });
      const goneMs = Date.now() - left;
      t.diagnostic(`blue gone from the composite ${goneMs} ms after DELETE`);
      assert.ok(goneMs <= 1000, `gone within one second (took ${goneMs} ms)`);
      const after = (await mcu.api('GET', '/api/rooms/mix')).json;
      assert.equal(after.participants.length, 3);
      await waitFor(async () => (await mcu.api('GET', '/api/rooms/mix')).json.mixer.video_encoders === 1,
        // Bounded, not timed: a loaded machine (or ASan) may take seconds.
        { timeoutMs: 10000, what: 'the sd encoder stops with its last receiver' });

      // Speaker layout: one of the two remaining senders large, the other in
      // the strip (in the grid each had a quarter of the picture).
      const patched = await mcu.api('PATCH', '/api/rooms/mix', { body: { layout: 'speaker' } });
      assert.equal(patched.status, 200);
      assert.equal(patched.json.layout, 'speaker');
      const speaker = await waitFor(async () => {
        const o = await observe(viewer, COLORS, FREQS);
        const big = Math.max(o.colors.red, o.colors.green);
        const small = Math.min(o.colors.red, o.colors.green);
        return big > 0.4 && small > 0.02 && small < 0.15 ? o : null;
      }, { timeoutMs: 5000, intervalMs: 100, what: 'speaker layout in the composite' });
      t.diagnostic(`speaker layout: ${JSON.stringify(speaker.colors)}`);
    } finally {
      await browser.close();
      const { code } = await mcu.stop();
      assert.equal(code, 0, 'mcu exits 0 on SIGTERM');
    }
  });

test('a VP8-only sender appears in a WHEP viewer\'s composite',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 90000 }, async () => {
    const mcu = await startMcu(['--log_level=info']);
    const browser = await launchBrowser();
    try {
      const sender = await browser.newPage();
      await sender.goto(`${mcu.base}/api/health`);
      const r = await joinRoom(sender, '/whip/vp8?name=vp8', { color: '#ff0000', freq: 440, videoCodec: 'video/VP8' });
      assert.equal(r.status, 201, r.answer);
      const viewer = await browser.newPage();
      await viewer.goto(`${mcu.base}/api/health`);
      assert.equal((await joinRoom(viewer, '/whep/vp8')).status, 201);
      await waitFor(async () => {
        const o = await observe(viewer, COLORS, [440]);
        return o.colors.red > 0.5 && o.tones[440] > HEARD_DB;
      }, { timeoutMs: 20000, intervalMs: 300, what: 'the VP8 sender in the composite' });
      const room = (await mcu.api('GET', '/api/rooms/vp8')).json;
      assert.equal(room.mixer.video_decoders, 1);
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
    }
  });
