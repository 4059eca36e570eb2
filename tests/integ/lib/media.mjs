// media.mjs - judging recorded media with ffmpeg: the colours in a decoded
// frame and the strength of a tone in the decoded sound.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Goertzel power of freq in samples at rate: a tone there is far above the
// power at a frequency nobody sends.
export function tonePower(samples, rate, freq) {
  const k = 2 * Math.cos(2 * Math.PI * freq / rate);
  let s1 = 0, s2 = 0;
  for (const x of samples) { const s0 = x + k * s1 - s2; s2 = s1; s1 = s0; }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / samples.length;
}

// The file's sound from second fromS on, as 48 kHz mono samples.
export async function decodePcm(file, fromS = 0) {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-ss', String(fromS), '-i', file, '-vn',
    '-ac', '1', '-ar', '48000', '-f', 's16le', '-'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const out = new Float64Array(stdout.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = stdout.readInt16LE(2 * i);
  return out;
}

// Share of the pixels of the frame at second t (w x h) within tol of each
// colour of colors (name -> [r, g, b]).
export async function frameColors(file, t, w, h, colors, tol = 60) {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-ss', String(t), '-i', file, '-frames:v', '1',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const out = {};
  for (const [name, rgb] of Object.entries(colors)) {
    let hit = 0;
    for (let i = 0; i + 2 < stdout.length; i += 3)
      if (Math.abs(stdout[i] - rgb[0]) < tol && Math.abs(stdout[i + 1] - rgb[1]) < tol &&
        Math.abs(stdout[i + 2] - rgb[2]) < tol) hit++;
    out[name] = hit / (w * h);
  }
  return out;
}
