// bench-smoke.test.mjs - the benchmark's load generator (tests/bench/,
// issue #7) against the real server for a few seconds: 2 senders replaying
// small H.264 clips and Opus tones over plain RTP, and 1 receive-only
// endpoint. The receiver gets the room's video and audio, and the room
// decodes both senders. `make bench` runs the real thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMcu, MCU_BIN } from './lib/mcu.mjs';
import { makeMedia } from '../bench/media.mjs';
import { buildLoadgen, runLoadgen } from '../bench/lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SKIP = !fs.existsSync('/usr/bin/ffmpeg') && 'needs ffmpeg';

test('load generator: 2 senders + 1 receiver for 7 s', { skip: SKIP, timeout: 120000 }, async (t) => {
  const loadgen = buildLoadgen(root, path.dirname(MCU_BIN));
  const media = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  const mcu = await startMcu(['--log_level=info', '--rtp_port_min=20000', '--rtp_port_max=29999']);
  try {
    await makeMedia(media, { count: 2, width: 640, height: 360, seconds: 2, kbps: 600 });
    const r = await runLoadgen(loadgen, [`--server=127.0.0.1:${mcu.port}`, '--room=smoke', `--media=${media}`,
      `--mcu-pid=${mcu.proc.pid}`, '--step=2,0,1,0', '--warmup=2', '--measure=5'],
    { timeoutMs: 30000, onLog: () => {} });
    assert.equal(r.ok, true, JSON.stringify(r));
    const s = r.steps[0];
    t.diagnostic(`mcu ${s.mcu_cpu_per_s.toFixed(3)} CPU-s/s; viewer ${JSON.stringify(s.rx.viewers)}; ` +
      `mixer ${JSON.stringify(s.mixer)}`);
    assert.equal(s.mixer.video_decoders, 2, 'the room decodes both senders');
    assert.ok(s.rx.viewers.video_packets > 0, 'the receiver got video packets');
    assert.ok(s.rx.viewers.audio_packets > 0, 'the receiver got audio packets');
    assert.ok(s.rx.viewers.video_fps_mean > 10, `composite frames arrive: ${s.rx.viewers.video_fps_mean}`);
    assert.ok(s.mcu_cpu_s > 0, 'the server\'s CPU was read');
    const codecs = s.video_codecs_per_s.decode + s.video_codecs_per_s.encode;
    assert.ok(s.video_codecs_per_s.decode > 0 && s.video_codecs_per_s.encode > 0 && codecs <= s.mcu_cpu_per_s + 0.05,
      `the room's video codec CPU was read: ${JSON.stringify(s.video_codecs_per_s)}`);
  } finally {
    fs.rmSync(media, { recursive: true, force: true });
    assert.equal((await mcu.stop()).code, 0);
  }
});
