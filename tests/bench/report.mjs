// report.mjs - turns one benchmark run's results (bench.mjs) into the
// Markdown section appended to docs/BENCHMARKS.md, the targets with PASS or
// MISS, and the gnuplot plot. A scenario that failed is reported as such;
// the rest of the report is still written.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const num = (x) => typeof x === 'number' && Number.isFinite(x);
export const f3 = (x) => (num(x) ? x.toFixed(3) : '–');
export const f2 = (x) => (num(x) ? x.toFixed(2) : '–');
export const f1 = (x) => (num(x) ? x.toFixed(1) : '–');
const f4 = (x) => (num(x) ? x.toFixed(4) : '–');
// Other load: /proc/stat and the per-process counters tick apart, so a quiet
// machine can read slightly below zero.
const load = (x) => (num(x) ? Math.max(0, x).toFixed(2) : '–');
// A window the rest of the machine disturbed: it used more than half a CPU.
export const BUSY = 0.5;
const busy = (x) => (num(x) && x > BUSY ? ' ⚠' : '');

// Sum of the codec parts of a video room of n senders (talkers of them
// talk): its decodes, its two encodes, and its Opus work with the audio
// encoders its mixer ran (each talker's mix-minus and the full mix).
export function partsOf(parts, n, talkers, audioEncoders) {
  const r = parts?.rooms?.[String(n)];
  if (!r) return NaN;
  const talk = Math.min(n, talkers);
  return r.decode_sum + r.encode_hd + r.encode_sd + talk * parts.opus_decode_tone +
    (n - talk) * parts.opus_decode_silence + audioEncoders * parts.opus_encode;
}

// Least-squares slope of ys over xs.
export function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; }
  return sxy / sxx;
}

// The room's CPU in its video decode and encode calls, per second,
// and the same calls' cost alone (the parts).
const codecsInRoom = (s) => (s?.video_codecs_per_s ? s.video_codecs_per_s.decode + s.video_codecs_per_s.encode : NaN);
function codecsAlone(parts, n) {
  const p = parts?.rooms?.[String(n)];
  return p ? p.decode_sum + p.encode_hd + p.encode_sd : NaN;
}

// Does a room's window hold real time: every receiver >= 29 fps and >= 49
// audio packets/s, and fewer than 1% of its ticks late?
export function roomHolds(s) {
  const rx = Object.values(s.rx || {});
  return rx.length > 0 && rx.every((x) => x.video_fps_min >= 29 && x.audio_pps_min >= 49) &&
    s.delta.overruns < 0.01 * s.delta.ticks;
}

const videoStep = (r, n) => r.video?.steps?.find((s) => s.step[0] === n);
const peerOf = (r, n) => r.peer?.find((p) => p.n === n);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
// The 4-sender room's rounds, each { step, peer, parts } measured back to
// back; a run without them has the one room of the table.
function rounds4(r) {
  if (r.rounds4?.length) return r.rounds4;
  const step = videoStep(r, 4), peer = peerOf(r, 4);
  return step && peer ? [{ step, peer, parts: r.parts }] : [];
}

// The goals of issue #7, each { name, goal, measured, pass }.
export function targets(r) {
  const out = [];
  const add = (name, goal, fn) => {
    try {
      const [measured, pass] = fn();
      out.push({ name, goal, measured, pass: !!pass });
    } catch {
      out.push({ name, goal, measured: 'not measured', pass: false });
    }
  };
  // The 4-sender room's ratios: the median over its rounds (room, peer
  // and parts back to back), as the host's speed drifts between rounds.
  const rounds = rounds4(r);
  const ratioTarget = (what, limit) => {
    const xs = rounds.map(what).filter(num);
    if (!xs.length) throw new Error('no rounds');
    const m = median(xs);
    const of = xs.length > 1 ? `median of ${xs.length} rounds: ${xs.map(f2).join(', ')}` : '1 round';
    return [`${f2(m)}x (${of})`, m <= limit];
  };
  add('4-sender HD room vs the sum of its codec parts', '<= 1.10x', () =>
    ratioTarget((x) => x.step.mcu_cpu_per_s / partsOf(x.parts, 4, r.talkers, x.step.mixer.audio_encoders), 1.10));
  add('4-sender HD room vs the ffmpeg peer', '<= 0.90x', () =>
    ratioTarget((x) => x.step.mcu_cpu_per_s / x.peer.cpu_per_s, 0.90));
  add('marginal receive-only viewer', '<= 0.002 CPU-s/s', () => {
    if (!num(r.marginal)) throw new Error('no slope');
    return [`${f4(r.marginal)} CPU-s/s`, r.marginal <= 0.002];
  });
  add('4 senders + 100 viewers hold real time', 'each viewer >= 29 fps and >= 49 audio pkt/s; overruns < 1% of ticks', () => {
    const v = r.viewers.steps.find((s) => s.step[2] === 100), rx = v.rx.viewers;
    return [`min ${f1(rx.video_fps_min)} fps, ${f1(rx.audio_pps_min)} pkt/s; ${v.delta.overruns} overruns in ${v.delta.ticks} ticks`,
      rx.video_fps_min >= 29 && rx.audio_pps_min >= 49 && v.delta.overruns < 0.01 * v.delta.ticks];
  });
  add('100-participant audio room, 3 talking', '<= 0.25 CPU-s/s', () => {
    const a = r.audio.steps.find((s) => s.step[3] === 100);
    return [`${f3(a.mcu_cpu_per_s)} CPU-s/s`, a.mcu_cpu_per_s <= 0.25];
  });
  const lat = r.latency?.latency, join = r.latency?.join;
  add('server-added audio latency, median', '<= 40 ms', () =>
    [`${f1(lat.audio.median_ms)} ms (p95 ${f1(lat.audio.p95_ms)}, n ${lat.audio.n})`, lat.audio.n > 0 && lat.audio.median_ms <= 40]);
  add('server-added video latency, median', '<= 60 ms', () =>
    [`${f1(lat.video.median_ms)} ms (p95 ${f1(lat.video.p95_ms)}, n ${lat.video.n})`, lat.video.n > 0 && lat.video.median_ms <= 60]);
  add('join to first composite frame, median', '<= 300 ms', () => {
    const j = join.first_picture;
    return [`${f1(j.median_ms)} ms (p95 ${f1(j.p95_ms)}, max ${f1(j.max_ms)}, n ${j.n})`, j.n > 0 && j.median_ms <= 300];
  });
  add('rooms held live (4-sender HD rooms at once) vs ffmpeg peers', '>= 2x the peers', () => {
    const c = r.capacity;
    return [`${c.mcuHeld} rooms, ${c.peerHeld} peers (${f2(c.mcuHeld / c.peerHeld)}x)`,
      c.peerHeld > 0 && c.mcuHeld >= 2 * c.peerHeld];
  });
  return out;
}

function capacitySection(r, L) {
  L.push('### Capacity: 4-sender HD rooms at once against ffmpeg peers at once', '');
  const c = r.capacity;
  if (!c) { L.push(`Not measured: ${r.errors?.capacity || 'failed'}.`, ''); return; }
  L.push('K rooms like the 4-sender room of the video table (each with its sd receiver) run at once, K rising ' +
    'until one misses real time (a receiver below 29 fps or 49 audio pkt/s, or 1% of its ticks late); then K ' +
    'ffmpeg peers of that room at once, until one falls below 29 fps.', '',
    '| K | MCU: held | fps (min) | audio pkt/s (min) | late ticks | MCU CPU-s/s | peers: held | peer fps (min) | peers CPU-s/s |',
    '|---:|---|---:|---:|---:|---:|---|---:|---:|');
  const n = Math.max(c.mcu.length, c.peer.length);
  for (let i = 0; i < n; i++) {
    const m = c.mcu[i], p = c.peer[i];
    L.push(`| ${i + 1} | ${m ? (m.held ? 'yes' : '**no**') : '–'} | ${f1(m?.fps)} | ${f1(m?.audio)} | ` +
      `${m ? `${m.overruns} / ${m.ticks}` : '–'} | ${f3(m?.cpu)} | ${p ? (p.held ? 'yes' : '**no**') : '–'} | ` +
      `${f1(p?.fps)} | ${f3(p?.cpu)} |`);
  }
  L.push('', `Held: ${c.mcuHeld} rooms, ${c.peerHeld} peers.`, '');
}

function videoSection(r, L) {
  L.push('### Video rooms', '',
    `All senders send 720p30 H.264 (~1.5 Mbit/s, a keyframe a second) and 20 ms Opus (${r.talkers} talk, the rest ` +
    'send silence) and receive hd; one more endpoint receives sd. Each room is followed by its ffmpeg peer: ' +
    'one `ffmpeg` doing the same work (decode N, grid, HD + SD libx264 veryfast/zerolatency/baseline at 2000/700 ' +
    'kbit/s with an IDR every 3 s as the room makes for legacy receivers, amix + libopus), paced by `-re`. ' +
    'Sum of parts: each decode and each encode alone, with the server\'s codec modules, each sender ' +
    'decoded as the room decodes it (no deblocking in a tile of half its size or less; `tests/bench/parts.c`).', '');
  if (!r.video?.steps?.length) { L.push(`Not measured: ${r.errors?.video || 'failed'}.`, ''); return; }
  L.push('| senders | MCU CPU-s/s | busiest thread | ffmpeg peer | MCU / peer | sum of parts | MCU / parts | video codecs: in room / alone | overruns | dropped | fps out (min) | audio pkt/s (min) | keyframes | other load |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of r.video.steps) {
    const n = s.step[0], p = peerOf(r, n), parts = partsOf(r.parts, n, r.talkers, s.mixer.audio_encoders);
    const fps = Math.min(s.rx.senders?.video_fps_min ?? NaN, s.rx.sd?.video_fps_min ?? NaN);
    const audio = Math.min(s.rx.senders?.audio_pps_min ?? NaN, s.rx.sd?.audio_pps_min ?? NaN);
    const inRoom = codecsInRoom(s), alone = codecsAlone(r.parts, n);
    L.push(`| ${n} | ${f3(s.mcu_cpu_per_s)} | ${f3(s.top_thread_per_s)} | ${f3(p?.cpu_per_s)} | ` +
      `${f2(s.mcu_cpu_per_s / p?.cpu_per_s)} | ${f3(parts)} | ${f2(s.mcu_cpu_per_s / parts)} | ` +
      `${f3(inRoom)} / ${f3(alone)} (${f2(inRoom / alone)}x) | ` +
      `${s.delta.overruns} | ${s.delta.dropped_packets} | ${f1(fps)} | ${f1(audio)} | ${s.delta.keyframes} | ` +
      `${load(s.other_cpu_per_s)}${busy(s.other_cpu_per_s)} / ${load(p?.other_cpu_per_s)}${busy(p?.other_cpu_per_s)} |`);
  }
  const p4 = r.parts?.rooms?.['4'];
  L.push('');
  if (p4) {
    L.push(`Parts of the 4-sender room: decodes ${f3(p4.decode_sum)} (${p4.decode.map(f3).join(', ')}), ` +
      `HD encode ${f3(p4.encode_hd)}, SD encode ${f3(p4.encode_sd)}; Opus decode ${f3(r.parts.opus_decode_tone)} ` +
      `(tone) / ${f3(r.parts.opus_decode_silence)} (silence), encode ${f3(r.parts.opus_encode)} each. `);
    const s4 = videoStep(r, 4), paced = partsOf(r.partsPaced, 4, r.talkers, s4?.mixer.audio_encoders ?? 0);
    if (s4 && num(paced)) {
      L.push(`Paced like a room (a frame each 1/30 s, so caches go cold in between) the same parts cost ` +
        `${f3(paced)}: MCU / paced parts ${f2(s4.mcu_cpu_per_s / paced)}. `);
    }
  }
  if (r.rounds4?.length > 1) {
    L.push(`The 4-sender room was measured in ${r.rounds4.length} rounds, each the room, its peer and its parts back ` +
      'to back (the first is the table\'s row; the targets take the median ratios): ' +
      r.rounds4.map((x, i) => {
        const parts = partsOf(x.parts, 4, r.talkers, x.step.mixer.audio_encoders), mcu = x.step.mcu_cpu_per_s;
        return `round ${i + 1}: MCU ${f3(mcu)}, peer ${f3(x.peer.cpu_per_s)} (${f2(mcu / x.peer.cpu_per_s)}x), ` +
          `parts ${f3(parts)} (${f2(mcu / parts)}x), video codecs ${f3(codecsInRoom(x.step))} in the room against ` +
          `${f3(codecsAlone(x.parts, 4))} alone`;
      }).join('; ') + '. ');
  }
  if (r.peer?.length) L.push(`The peer's output rate: ${r.peer.map((p) => `${p.n}: ${f1(p.fps)} fps`).join(', ')}. `);
  L.push('"Video codecs: in room / alone" is the room\'s CPU in its video decode and encode calls (the ' +
    'room JSON\'s `decode_us` and `encode_us`) against the same calls alone (the parts): what the same codec work ' +
    'costs inside the server, where the audio, the network threads and their wakeups run in between. ');
  L.push('A room whose output fell below 29 fps did not keep real time: its thread had no more CPU to give, so ' +
    'its figure is a floor. "Other load" is what the rest of the machine used meanwhile (MCU window / peer ' +
    `window), in CPU-s/s; ⚠ marks more than ${BUSY}.`, '');
}

function viewersSection(r, L) {
  L.push('### Viewers: the 4-sender room plus receive-only hd viewers', '');
  if (!r.viewers?.steps?.length) { L.push(`Not measured: ${r.errors?.viewers || 'failed'}.`, ''); return; }
  const v0 = r.viewers.steps[0];
  L.push('| viewers | MCU CPU-s/s | above 0 viewers | per viewer | overruns | viewer fps (min) | viewer audio pkt/s (min) | lost | other load |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of r.viewers.steps) {
    const v = s.step[2], d = s.mcu_cpu_per_s - v0.mcu_cpu_per_s, rx = s.rx.viewers;
    L.push(`| ${v} | ${f3(s.mcu_cpu_per_s)} | ${v ? f3(d) : '–'} | ${v ? f4(d / v) : '–'} | ${s.delta.overruns} | ` +
      `${f1(rx?.video_fps_min)} | ${f1(rx?.audio_pps_min)} | ${rx ? rx.lost : '–'} | ${load(s.other_cpu_per_s)}${busy(s.other_cpu_per_s)} |`);
  }
  L.push('', `Marginal cost of a viewer (least-squares slope over the windows): ${f4(r.marginal)} CPU-s/s. ` +
    'On loopback the server\'s sends also pay for delivery into the receiver\'s socket.', '');
}

function audioSection(r, L) {
  L.push(`### Audio-only rooms: ${r.talkers} talking, the rest send silence`, '');
  if (!r.audio?.steps?.length) { L.push(`Not measured: ${r.errors?.audio || 'failed'}.`, ''); return; }
  L.push('| participants | MCU CPU-s/s | per participant | busiest thread | audio decoders | audio encoders | overruns | dropped | received pkt/s (min) | other load |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of r.audio.steps) {
    const n = s.step[3];
    L.push(`| ${n} | ${f3(s.mcu_cpu_per_s)} | ${f4(s.mcu_cpu_per_s / n)} | ${f3(s.top_thread_per_s)} | ` +
      `${s.mixer.audio_decoders} | ${s.mixer.audio_encoders} | ${s.delta.overruns} | ${s.delta.dropped_packets} | ` +
      `${f1(s.rx.audio?.audio_pps_min)} | ${load(s.other_cpu_per_s)}${busy(s.other_cpu_per_s)} |`);
  }
  L.push('');
}

function latencySection(r, L) {
  L.push('### Latency and join: the 4-sender room', '');
  const lat = r.latency?.latency, join = r.latency?.join;
  if (!lat || !join) { L.push(`Not measured: ${r.errors?.latency || 'failed'}.`, ''); return; }
  L.push('Server-added delay: when the event arrives in the room\'s output at a receive-only hd endpoint, less when ' +
    'it was sent. Audio: the click\'s first loud decoded sample, against the same sample decoded from the ' +
    'sender\'s own stream (so one codec delay is the sender\'s, the rest the server\'s). Video: the first bright ' +
    'composite, by the arrival of its last packet, against the sending of the first white frame. The sender\'s ' +
    'clock runs slow so that its phase against the room\'s ticks goes once round in the window.');
  const st = r.latency.steps?.[0];
  if (st) {
    L.push(`In that window: ${st.delta.overruns} overruns, other load ${load(st.other_cpu_per_s)}${busy(st.other_cpu_per_s)} CPU-s/s` +
      (r.latency.attempts > 1 ? ` (the quieter of ${r.latency.attempts} attempts: the first was disturbed)` : '') + '.');
  }
  L.push('', '| | n | median ms | p95 ms | min ms | max ms |', '|---|---:|---:|---:|---:|---:|');
  const row = (name, d) => L.push(`| ${name} | ${d.n} | ${f1(d.median_ms)} | ${f1(d.p95_ms)} | ${f1(d.min_ms)} | ${f1(d.max_ms)} |`);
  row('audio: click', lat.audio);
  row('video: black to white', lat.video);
  row('join: POST to first decoded picture', join.first_picture);
  row('join: POST answered', join.post_answer);
  row('join: first keyframe packet', join.first_keyframe_arrival);
  L.push('');
}

// The Markdown section of one run.
export function markdown(r) {
  const m = r.machine, L = [];
  L.push(`## ${m.date}: ${m.cpu}, ${m.cores} cores`, '');
  L.push(`${m.mcu || 'mcu'} (commit ${m.commit}); ${m.ffmpeg}; ${m.libx264}; libopus ${m.libopus}; ` +
    `libavcodec ${m.libavcodec}; Debian ${m.debian}, Linux ${m.kernel}; Node ${m.node}. ` +
    `Each figure is CPU-seconds of the server's process (utime + stime, all threads) per second of media, over ` +
    `a ${r.measure} s window after ${r.warmup} s of warm-up. \`make bench\` took ${f1(r.minutes)} min. ` +
    `The rest of the machine used ${load(r.otherLoad)} CPU-s/s on average during the MCU's windows: compare ` +
    'figures within one run.', '');
  videoSection(r, L);
  viewersSection(r, L);
  audioSection(r, L);
  latencySection(r, L);
  capacitySection(r, L);
  L.push('### Targets (goals, not tests)', '', '| target | goal | measured | |', '|---|---|---|---|');
  for (const t of r.targets) L.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.pass ? '**PASS**' : '**MISS**'} |`);
  L.push('');
  if (r.plotRel) L.push(`![CPU per room vs participants](${r.plotRel})`, '');
  return L.join('\n');
}

// Plots CPU per room against senders for the MCU, the peer and the parts.
export function plot(r, sizes, datFile, pngFile) {
  const rows = sizes.map((n) => {
    const s = videoStep(r, n), p = peerOf(r, n);
    const parts = s ? partsOf(r.parts, n, r.talkers, s.mixer.audio_encoders) : NaN;
    const v = (x) => (num(x) ? x : 'NaN');
    return `${n} ${v(s?.mcu_cpu_per_s)} ${v(p?.cpu_per_s)} ${v(parts)}`;
  });
  fs.writeFileSync(datFile, `# senders mcu peer parts\n${rows.join('\n')}\n`);
  const script = [
    'set terminal pngcairo size 900,560 font "sans,11"', `set output "${pngFile}"`,
    `set title "CPU per room vs participants (${r.machine.cpu}, ${r.machine.date})"`,
    'set xlabel "video senders in the room (each receives hd; plus one sd receiver)"',
    'set ylabel "CPU-seconds per second of media"', 'set grid',
    `set xtics (${sizes.join(', ')})`, 'set yrange [0:*]',
    // A room runs on one thread: one CPU-second per second is all it gets.
    `set arrow from ${sizes[0]},1 to ${sizes.at(-1)},1 nohead dt 3 lc rgb "gray40"`,
    `set label "one core: all a room's thread can use" at ${sizes[0]},1 left offset 1,0.7 tc rgb "gray40"`,
    'set key bottom right',
    `plot "${datFile}" using 1:2 with linespoints lw 2 pt 7 title "MCU (one room)", ` +
    `"${datFile}" using 1:3 with linespoints lw 2 pt 5 title "ffmpeg peer (one process)", ` +
    `"${datFile}" using 1:4 with linespoints lw 1 dt 2 pt 1 title "sum of codec parts"`,
  ].join('\n');
  execFileSync('gnuplot', [], { input: script });
}
