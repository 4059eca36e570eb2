// media.mjs - the benchmark's media, made once by ffmpeg from lavfi sources
// and cached: per participant an H.264 clip (Annex B, Constrained Baseline,
// ~1.5 Mbit/s, a keyframe every second, a distinct hue of testsrc2) and an
// Ogg Opus file (a tone, or silence) for the ffmpeg peer; plus the latency
// clip (black, white from frame 15 of each second). The load generator
// makes its own Opus packets at start-up (lgmedia.c) and replays the raw
// H.264; the Ogg files and the clips remuxed to Matroska are what the ffmpeg
// peer reads.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const run = promisify(execFile);

// The tones of the load generator's first talkers (loadgen.c), so the peer
// mixes the same sound.
export const TONES = [440, 540, 670, 770];

const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
  '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-bf', '0', '-threads', '1'];

function videoJob(dir, k, { count, width, height, seconds, kbps }) {
  const hue = Math.round((360 * k) / count);
  return ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=${width}x${height}:r=30:d=${seconds}`,
    '-vf', `hue=h=${hue}`, ...X264, '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-f', 'h264', path.join(dir, `v${k}.h264`)];
}

function flashJob(dir, { width, height, kbps }) {
  return ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=black:s=${width}x${height}:r=30:d=1`,
    '-vf', `drawbox=x=0:y=0:w=${width}:h=${height}:color=white:t=fill:enable='gte(n,15)'`,
    ...X264, '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-f', 'h264', path.join(dir, 'flash.h264')];
}

function audioJob(dir, name, source, seconds) {
  return ['-v', 'error', '-y', '-f', 'lavfi', '-i', `${source}:d=${seconds}`, '-c:a', 'libopus',
    '-b:a', '32k', '-ac', '1', '-application', 'voip', '-frame_duration', '20', path.join(dir, name)];
}

// Makes what is missing in dir, two ffmpeg at a time, and returns dir. What
// is there is kept between runs; a stamp file records the settings it was
// made with, and other settings make everything again. Each file is written
// under a temporary name first, so an interrupted run leaves none half made.
export async function makeMedia(dir, opts = {}) {
  const o = { count: 16, width: 1280, height: 720, seconds: 10, kbps: 1500, ...opts };
  const stamp = path.join(dir, 'media.json');
  const want = JSON.stringify(o);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') !== want) fs.rmSync(dir, { recursive: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(stamp, want);
  const first = [], then = [];
  for (let k = 0; k < o.count; k++) first.push(videoJob(dir, k, o));
  first.push(flashJob(dir, o));
  TONES.forEach((f, k) => first.push(audioJob(dir, `a${k}.ogg`, `sine=f=${f}:r=48000`, o.seconds)));
  first.push(audioJob(dir, 'silence.ogg', 'anullsrc=r=48000:cl=mono', o.seconds));
  // The peer loops its inputs (-stream_loop): a raw H.264 stream has no
  // duration to offset the next loop's timestamps by, Matroska has.
  for (let k = 0; k < o.count; k++) {
    then.push(['-v', 'error', '-y', '-framerate', '30', '-f', 'h264', '-i', path.join(dir, `v${k}.h264`),
      '-c', 'copy', path.join(dir, `v${k}.mkv`)]);
  }
  for (const jobs of [first, then]) {
    const todo = jobs.filter((args) => !fs.existsSync(args.at(-1)));
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const args = [...todo[next++]];
        const out = args.pop();
        const tmp = out.replace(/(\.[a-z0-9]+)$/, '.part$1');
        await run('ffmpeg', [...args, tmp], { timeout: 300000 });
        fs.renameSync(tmp, out);
      }
    };
    await Promise.all([worker(), worker()]);
  }
  return dir;
}

// The Ogg file participant k of a room sends to the peer: a tone for the
// first talkers, silence for the rest.
export function audioFile(dir, k, talkers = 3) {
  return path.join(dir, k < talkers ? `a${k}.ogg` : 'silence.ogg');
}
