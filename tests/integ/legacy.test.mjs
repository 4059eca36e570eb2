// legacy.test.mjs - legacy endpoints over plain RTP (API.md section 3), with
// real ffmpeg processes: a receive-only ffmpeg records the room's composite
// (ld + PCMU, sd + Opus, packetization-mode 0) while two browsers send
// distinct colours and tones; a sendrecv ffmpeg sends H.264 + PCMU from a
// generated clip into the room, where a browser sees and hears it; a
// legacy endpoint that goes silent is dropped after rtp_timeout_s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { freePorts, start } from './lib/procs.mjs';
import { launchBrowser, haveChromium, joinRoom, observe } from './lib/browser.mjs';
import { tonePower, decodePcm, frameColors } from './lib/media.mjs';

const run = promisify(execFile);
const haveFfmpeg = fs.existsSync('/usr/bin/ffmpeg');
const COLORS = { red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255] };
const SKIP = (!haveChromium() || !haveFfmpeg) && 'needs Debian chromium and ffmpeg';

function offerSdp({ videoPort, audioPort, audio = 'PCMU', pm = 1, direction = 'recvonly' }) {
  const a = audio === 'opus'
    ? [`m=audio ${audioPort} RTP/AVP 111`, 'a=rtpmap:111 opus/48000/2']
    : [`m=audio ${audioPort} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000'];
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=legacy', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=video ${videoPort} RTP/AVP 96`, 'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=${pm};profile-level-id=42e01f`, `a=${direction}`,
    ...a, `a=${direction}`, ''].join('\r\n');
}

async function twoBrowsers(mcu, room) {
  const browser = await launchBrowser();
  const pages = [];
  for (const [css, freq] of [['#ff0000', 440], ['#00ff00', 670]]) {
    const page = await browser.newPage();
    await page.goto(`${mcu.base}/api/health`);
    const r = await joinRoom(page, `/whip/${room}`, { color: css, freq });
    assert.equal(r.status, 201, r.answer);
    pages.push(page);
  }
  return { browser, pages };
}

const VARIANTS = [
  { profile: 'ld', audio: 'PCMU', pm: 1, size: [320, 180] },
  { profile: 'sd', audio: 'opus', pm: 1, size: [640, 360] },
  { profile: 'sd', audio: 'PCMU', pm: 0, size: [640, 360] },
];

test('a receive-only ffmpeg records the composite: ld+PCMU, sd+Opus, packetization-mode 0',
  { skip: SKIP, timeout: 240000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-legacy-'));
    const { browser } = await twoBrowsers(mcu, 'tv');
    try {
      for (const v of VARIANTS) {
        const base = await freePorts();
        const sdp = offerSdp({ videoPort: base, audioPort: base + 2, audio: v.audio, pm: v.pm });
        const sdpFile = path.join(dir, `${v.profile}-${v.audio}-${v.pm}.sdp`);
        const out = path.join(dir, `${v.profile}-${v.audio}-${v.pm}.mkv`);
        fs.writeFileSync(sdpFile, sdp);
        // ffmpeg listens first, so the keyframe the server starts with is not lost.
        const ff = start('ffmpeg', ['-v', 'error', '-y', '-protocol_whitelist', 'file,udp,rtp',
          '-i', sdpFile, '-t', '5', '-c:v', 'copy', '-c:a', 'pcm_s16le', out]);
        await new Promise((r) => setTimeout(r, 500));
        const res = await mcu.api('POST', '/api/rooms/tv/participants', { body: { sdp, profile: v.profile, name: 'tv' } });
        assert.equal(res.status, 201, res.text);
        assert.match(res.json.sdp, /RTP\/AVP/);
        assert.match(res.json.sdp, new RegExp(`packetization-mode=${v.pm}`));
        const room = (await mcu.api('GET', '/api/rooms/tv')).json;
        const tv = room.participants.find((p) => p.id === res.json.id);
        assert.equal(tv.kind, 'rtp');
        const code = await Promise.race([ff.exited, new Promise((r) => setTimeout(() => r('timeout'), 30000))]);
        if (code === 'timeout') ff.proc.kill('SIGKILL');
        assert.equal(code, 0, `ffmpeg recorded: ${ff.log()}`);
        const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', out])).stdout);
        const video = probe.streams.find((s) => s.codec_type === 'video');
        assert.equal(video.codec_name, 'h264');
        assert.deepEqual([video.width, video.height], v.size, `${v.profile} size`);
        const colors = await frameColors(out, 3, v.size[0], v.size[1], COLORS);
        const pcm = await decodePcm(out, 1.5); // past the start-up
        const p440 = tonePower(pcm, 48000, 440), p670 = tonePower(pcm, 48000, 670), pNone = tonePower(pcm, 48000, 555);
        t.diagnostic(`${v.profile}+${v.audio} pm=${v.pm}: ${video.width}x${video.height} colours ` +
          `${JSON.stringify(colors)} tone power 440:${p440.toExponential(2)} 670:${p670.toExponential(2)} ` +
          `555:${pNone.toExponential(2)}`);
        assert.ok(colors.red > 0.05 && colors.green > 0.05, `both colours in the picture: ${JSON.stringify(colors)}`);
        assert.ok(p440 > 100 * pNone && p670 > 100 * pNone, 'both tones in the sound');
        assert.equal((await mcu.api('DELETE', `/api/rooms/tv/participants/${res.json.id}`)).status, 200);
      }
    } finally {
      await browser.close();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal((await mcu.stop()).code, 0);
    }
  });

test('a sendrecv ffmpeg (H.264 + PCMU) is seen and heard by a browser; silent, it is dropped',
  { skip: SKIP, timeout: 120000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info', '--rtp_timeout_s=3']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-legacy-'));
    const browser = await launchBrowser();
    try {
      const clip = path.join(dir, 'clip.mkv');
      await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0x0000FF:s=640x360:r=30',
        '-f', 'lavfi', '-i', 'sine=f=930:r=8000', '-t', '4', '-c:v', 'libx264', '-profile:v', 'baseline',
        '-g', '30', '-bf', '0', '-pix_fmt', 'yuv420p', '-c:a', 'pcm_mulaw', clip]);
      const page = await browser.newPage();
      await page.goto(`${mcu.base}/api/health`);
      assert.equal((await joinRoom(page, '/whip/desk', { color: '#ff0000', freq: 440 })).status, 201);

      const base = await freePorts();
      const sdp = offerSdp({ videoPort: base, audioPort: base + 2, direction: 'sendrecv' });
      const res = await mcu.api('POST', '/api/rooms/desk/participants', { body: { sdp, name: 'codec' } });
      assert.equal(res.status, 201, res.text);
      const ans = res.json.sdp;
      const vport = Number(ans.match(/^m=video (\d+)/m)[1]);
      const aport = Number(ans.match(/^m=audio (\d+)/m)[1]);
      assert.match(ans, /^c=IN IP4 127\.0\.0\.1/m);
      const ff = start('ffmpeg', ['-v', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-t', '12',
        '-map', '0:v', '-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-payload_type', '96', '-f', 'rtp',
        `rtp://127.0.0.1:${vport}?pkt_size=1200`, '-map', '0:a', '-c', 'copy', '-payload_type', '0',
        '-f', 'rtp', `rtp://127.0.0.1:${aport}`]);
      try {
        const seen = await waitFor(async () => {
          const o = await observe(page, COLORS, [930]);
          return o.colors.blue > 0.05 && o.tones[930] > -55 ? o : null;
        }, { timeoutMs: 15000, intervalMs: 300, what: 'the ffmpeg sender in the browser' });
        t.diagnostic(`browser sees ${JSON.stringify(seen.colors)} hears 930 Hz at ${seen.tones[930].toFixed(1)} dB`);
        const part = (await mcu.api('GET', '/api/rooms/desk')).json.participants.find((p) => p.id === res.json.id);
        assert.equal(part.kind, 'rtp');
        assert.ok(part.stats.video.packets_in > 0 && part.stats.audio.packets_in > 0);
      } finally {
        ff.proc.kill('SIGTERM');
        await ff.exited;
      }
      // Silent now: dropped after rtp_timeout_s (3 s), the browser stays.
      const stopped = Date.now();
      await waitFor(async () => {
        const room = (await mcu.api('GET', '/api/rooms/desk')).json;
        return room.participants.length === 1 ? room : null;
      }, { timeoutMs: 10000, intervalMs: 250, what: 'the silent legacy endpoint dropped' });
      const after = (Date.now() - stopped) / 1000;
      t.diagnostic(`dropped ${after.toFixed(1)} s after its media stopped (rtp_timeout_s = 3)`);
      assert.ok(after >= 2.5, 'not before the timeout');
    } finally {
      await browser.close();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal((await mcu.stop()).code, 0);
    }
  });
