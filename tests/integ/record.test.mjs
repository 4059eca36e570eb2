// record.test.mjs - recordings of real rooms: a two-browser room recorded for
// 10 s (H.264 1280x720 + AAC 48 kHz, durations, A/V start, both colours and
// tones), a server killed with SIGKILL mid-recording (the fragmented MP4
// still plays), and a full disk (the recording fails, the room goes on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium, joinRoom, observe, inboundVideo } from './lib/browser.mjs';
import { tonePower, decodePcm, frameColors } from './lib/media.mjs';

const run = promisify(execFile);
const SKIP = (!haveChromium() || !fs.existsSync('/usr/bin/ffprobe')) && 'needs Debian chromium and ffmpeg';
const COLORS = { red: [255, 0, 0], green: [0, 255, 0] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function probe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  return JSON.parse(stdout);
}

async function joinTwo(mcu, room) {
  const browser = await launchBrowser();
  for (const [css, freq] of [['#ff0000', 440], ['#00ff00', 670]]) {
    const page = await browser.newPage();
    await page.goto(`${mcu.base}/api/health`);
    const r = await joinRoom(page, `/whip/${room}`, { color: css, freq });
    assert.equal(r.status, 201, r.answer);
  }
  return browser;
}

test('a two-browser room recorded for 10 s: H.264 720p + AAC, in sync, both colours and tones',
  { skip: SKIP, timeout: 120000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-rec-'));
    const mcu = await startMcu([`--recordings_dir=${dir}`]);
    let browser;
    try {
      assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: 'meet' } })).status, 201);
      browser = await joinTwo(mcu, 'meet');
      await sleep(1500); // both pictures in the composite before the recording starts
      const started = Date.now();
      const on = await mcu.api('PATCH', '/api/rooms/meet', { body: { record: true } });
      assert.equal(on.status, 200);
      assert.equal(on.json.record, true);
      await sleep(10000);
      const off = await mcu.api('PATCH', '/api/rooms/meet', { body: { record: false } });
      const truth = (Date.now() - started) / 1000;
      assert.equal(off.status, 200);
      const list = (await mcu.api('GET', '/api/recordings')).json.recordings;
      assert.equal(list.length, 1, JSON.stringify(list));
      const rec = list[0];
      assert.match(rec.file, /^meet-\d{8}T\d{6}Z\.mp4$/);
      assert.equal(rec.room, 'meet');
      assert.equal(rec.state, 'done');
      const file = path.join(dir, rec.file);
      const info = await probe(file);
      const v = info.streams.find((s) => s.codec_type === 'video');
      const a = info.streams.find((s) => s.codec_type === 'audio');
      assert.equal(v.codec_name, 'h264');
      assert.deepEqual([v.width, v.height], [1280, 720]);
      assert.equal(a.codec_name, 'aac');
      assert.equal(Number(a.sample_rate), 48000);
      const duration = Number(info.format.duration);
      t.diagnostic(`recorded ${duration.toFixed(2)} s of ${truth.toFixed(2)} s; listing says ` +
        `${rec.duration_s} s, ${rec.bytes} B; video start ${v.start_time} audio start ${a.start_time}`);
      assert.ok(Math.abs(duration - truth) <= 1, `duration ${duration} vs ${truth}`);
      assert.ok(Math.abs(rec.duration_s - duration) <= 1, 'the listing has the right duration');
      assert.equal(rec.bytes, fs.statSync(file).size);
      assert.ok(Math.abs(Number(v.start_time) - Number(a.start_time)) <= 0.1, 'audio and video start together');
      const colors = await frameColors(file, 5, 1280, 720, COLORS);
      assert.ok(colors.red > 0.05 && colors.green > 0.05, `both participants in the picture: ${JSON.stringify(colors)}`);
      const pcm = await decodePcm(file, 3);
      const p440 = tonePower(pcm, 48000, 440), p670 = tonePower(pcm, 48000, 670), p555 = tonePower(pcm, 48000, 555);
      t.diagnostic(`tone power 440: ${p440.toExponential(2)} 670: ${p670.toExponential(2)} 555: ${p555.toExponential(2)}`);
      assert.ok(p440 > 100 * p555 && p670 > 100 * p555, 'both tones in the recording');
      const sidecar = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'));
      assert.equal(sidecar.participants.length, 2);
      assert.ok(sidecar.participants.every((p) => p.joined), 'join times in the sidecar');

      // Range over the real file: exactly those bytes.
      const res = await fetch(`${mcu.base}/recordings/${rec.file}`, { headers: { Range: 'bytes=100-199' } });
      assert.equal(res.status, 206);
      const got = Buffer.from(await res.arrayBuffer());
      assert.deepEqual(got, fs.readFileSync(file).subarray(100, 200));
    } finally {
      if (browser) await browser.close();
      assert.equal((await mcu.stop()).code, 0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('SIGKILL 8 s into a recording leaves an MP4 that plays at least 6 s',
  { skip: SKIP, timeout: 90000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-rec-'));
    const mcu = await startMcu([`--recordings_dir=${dir}`, '--record=true']);
    let browser;
    try {
      browser = await joinTwo(mcu, 'crash');
      await sleep(8000);
      mcu.proc.kill('SIGKILL');
      await mcu.stop();
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.mp4'));
      assert.equal(files.length, 1);
      const file = path.join(dir, files[0]);
      const info = await probe(file);
      assert.ok(info.streams.some((s) => s.codec_name === 'h264'), 'ffprobe reads the video stream');
      // Decode it all and count the seconds of video that come out.
      const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v', '-f', 'null', '-',
        '-progress', 'pipe:1']);
      const outUs = Math.max(...[...stdout.matchAll(/out_time_us=(\d+)/g)].map((m) => Number(m[1])));
      t.diagnostic(`after SIGKILL at 8 s: ${(outUs / 1e6).toFixed(2)} s decode, ${fs.statSync(file).size} B`);
      assert.ok(outUs >= 6e6, `decodes ${outUs / 1e6} s`);
    } finally {
      if (browser) await browser.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('a full disk fails the recording while the participants keep receiving',
  { skip: SKIP, timeout: 90000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      t.skip(`cannot mount a tmpfs here: ${e.message}`);
      return;
    }
    const mcu = await startMcu([`--recordings_dir=${dir}`]);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${mcu.base}/api/health`);
      assert.equal((await joinRoom(page, '/whip/full?profile=sd', { color: '#ff0000', freq: 440 })).status, 201);
      await waitFor(async () => (await inboundVideo(page))?.framesDecoded > 10, { what: 'video before recording' });
      assert.equal((await mcu.api('PATCH', '/api/rooms/full', { body: { record: true } })).status, 200);
      const failed = await waitFor(async () => {
        const r = (await mcu.api('GET', '/api/recordings')).json.recordings;
        return r.find((x) => x.state === 'failed');
      }, { timeoutMs: 30000, intervalMs: 500, what: 'the recording failed on the full disk' });
      t.diagnostic(`failed after ${failed.bytes} B`);
      const before = (await inboundVideo(page)).framesDecoded;
      await sleep(2000);
      const after = (await inboundVideo(page)).framesDecoded;
      t.diagnostic(`frames decoded in the 2 s after the failure: ${after - before}`);
      assert.ok(after - before > 20, 'the participant keeps receiving video');
      const o = await observe(page, COLORS, [440]);
      assert.ok(o.colors.red > 0.05);
      assert.ok(mcu.log().includes('failed'), 'the failure is logged');
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0);
      try { execFileSync('umount', [dir]); } catch { /* not mounted */ }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('SIGTERM during a recording: exit 0 within 5 s and the MP4 plays to its end',
  { skip: SKIP, timeout: 90000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-rec-'));
    const mcu = await startMcu([`--recordings_dir=${dir}`, '--record=true']);
    let browser;
    try {
      browser = await joinTwo(mcu, 'term');
      await sleep(5000);
      const t0 = Date.now();
      const { code } = await mcu.stop(10000);
      const stopMs = Date.now() - t0;
      t.diagnostic(`exit ${code} ${stopMs} ms after SIGTERM`);
      assert.equal(code, 0);
      assert.ok(stopMs <= 5000, `stopped within 5 s (${stopMs} ms)`);
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.mp4'));
      assert.equal(files.length, 1);
      const file = path.join(dir, files[0]);
      const sidecar = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'));
      assert.equal(sidecar.state, 'done');
      assert.ok(sidecar.ended, 'the sidecar has its end');
      assert.ok(sidecar.participants.every((p) => p.left), 'everyone left at shutdown');
      const info = await probe(file);
      const duration = Number(info.format.duration);
      const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v', '-f', 'null', '-',
        '-progress', 'pipe:1']);
      const decoded = Math.max(...[...stdout.matchAll(/out_time_us=(\d+)/g)].map((m) => Number(m[1]))) / 1e6;
      t.diagnostic(`file ${duration.toFixed(2)} s, decodes ${decoded.toFixed(2)} s`);
      assert.ok(duration > 3, `recorded ${duration} s`);
      assert.ok(Math.abs(decoded - duration) < 0.2, 'it decodes to its end');
    } finally {
      if (browser) await browser.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
