// peer.mjs - the benchmark's comparison: one ffmpeg process doing a room's
// work for n senders, as the MCU does it: decode n H.264 inputs (one thread
// each), scale each to its grid tile (bilinear, aspect kept), xstack, split
// to HD 1280x720 and SD 640x360, encode both with libx264 (veryfast,
// zerolatency, baseline, the room's bit rates and VBV, an IDR every 3 s as
// the room makes for legacy receivers), decode n Opus inputs, amix, encode
// once with libopus (32 kbit/s, complexity 5). Inputs loop and are paced in
// real time (-re), so the process runs like a live room.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { audioFile } from './media.mjs';
import { procCpu, machineBusy } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function grid(n) {
  const cols = n <= 1 ? 1 : n === 2 ? 2 : n <= 4 ? 2 : n <= 9 ? 3 : 4;
  const rows = n <= 2 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4;
  return { cols, rows, w: Math.floor(1280 / cols) & ~1, h: Math.floor(720 / rows) & ~1 };
}

// The room's work for n senders as one ffmpeg command (args).
export function peerArgs(n, seconds, { media, talkers }) {
  const g = grid(n);
  // Each picture scaled to fit its tile, aspect kept (16:9 sources).
  const fitW = Math.min(g.w, Math.floor((g.h * 16) / 9) & ~1), fitH = Math.min(g.h, Math.floor((g.w * 9) / 16) & ~1);
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-progress', 'pipe:1'];
  for (let i = 0; i < n; i++)
    args.push('-re', '-stream_loop', '-1', '-threads', '1', '-i', path.join(media, `v${i}.mkv`));
  for (let i = 0; i < n; i++)
    args.push('-re', '-stream_loop', '-1', '-c:a', 'libopus', '-i', audioFile(media, i, talkers));
  const f = [];
  for (let i = 0; i < n; i++)
    f.push(`[${i}:v]scale=${fitW}:${fitH}:flags=bilinear,pad=${g.w}:${g.h}:(ow-iw)/2:(oh-ih)/2[t${i}]`);
  const layout = [];
  for (let i = 0; i < n; i++) layout.push(`${(i % g.cols) * g.w}_${Math.floor(i / g.cols) * g.h}`);
  const tiles = Array.from({ length: n }, (_, i) => `[t${i}]`).join('');
  f.push(`${tiles}xstack=inputs=${n}:layout=${layout.join('|')}:fill=black,` +
    'pad=1280:720:(ow-iw)/2:(oh-ih)/2,split=2[hd][s]');
  f.push('[s]scale=640:360:flags=bilinear[sd]');
  const ains = Array.from({ length: n }, (_, i) => `[${n + i}:a]`).join('');
  f.push(`${ains}amix=inputs=${n}[a]`);
  const x264 = ['-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-threads', '1',
    '-g', '90', '-keyint_min', '90', '-sc_threshold', '0', '-bf', '0'];
  args.push('-filter_complex', f.join(';'), '-filter_complex_threads', '1',
    '-map', '[hd]', '-map', '[sd]', '-map', '[a]',
    '-c:v', 'libx264', ...x264, '-b:v:0', '2000k', '-maxrate:v:0', '2000k', '-bufsize:v:0', '1000k',
    '-b:v:1', '700k', '-maxrate:v:1', '700k', '-bufsize:v:1', '350k',
    '-c:a', 'libopus', '-b:a', '32k', '-ac', '1', '-application', 'voip', '-compression_level', '5',
    '-t', String(seconds), '-f', 'null', '-');
  return args;
}

// Runs the peer for warmup + measure + 2 s of media; its CPU over the
// measure window (CPU-s per s), the frames it made per second meanwhile (30:
// it kept real time) and the rest of the machine's load.
export async function runPeer(n, { media, talkers, warmup, measure }) {
  const proc = spawn('ffmpeg', peerArgs(n, warmup + measure + 2, { media, talkers }), { stdio: ['ignore', 'pipe', 'pipe'] });
  let frame = 0, err = '';
  proc.stdout.on('data', (c) => {
    const m = c.toString().match(/frame=(\d+)/g);
    if (m) frame = Number(m[m.length - 1].slice(6));
  });
  proc.stderr.on('data', (c) => { err = (err + c).slice(-4000); });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  const kill = setTimeout(() => proc.kill('SIGKILL'), (warmup + measure + 60) * 1000);
  await sleep(warmup * 1000);
  const a = { t: performance.now(), cpu: procCpu(proc.pid), busy: machineBusy(), frame };
  await sleep(measure * 1000);
  const b = { t: performance.now(), cpu: procCpu(proc.pid), busy: machineBusy(), frame };
  const code = await exited;
  clearTimeout(kill);
  if (a.cpu === null || b.cpu === null || code !== 0) throw new Error(`ffmpeg peer (${n}) failed: ${code} ${err}`);
  const secs = (b.t - a.t) / 1000, cpu = b.cpu - a.cpu;
  return { n, cpu_per_s: cpu / secs, fps: (b.frame - a.frame) / secs, other_cpu_per_s: (b.busy - a.busy - cpu) / secs };
}
