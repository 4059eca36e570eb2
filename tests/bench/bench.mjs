// bench.mjs - `make bench` (issue #7): runs the benchmark and writes its
// report. Needs BUILD/mcu, BUILD/bench/loadgen and BUILD/bench/parts built.
//
// In one run, so that ratios compare figures taken side by side (the load
// generator, BUILD/bench/loadgen, plays the participants: loadgen.c):
//  1. video rooms of 2, 4, 9, 16 senders (sendrecv, all receiving hd, 3 of
//     them talking) plus one sd receiver, each room followed at once by
//  2. the ffmpeg peer: one ffmpeg process doing that room's work (decode N
//     inputs, xstack grid, split to HD and SD, two libx264 encodes with the
//     room's settings, amix + libopus), paced by -re (peer.mjs), and
//  3. the room's isolated codec costs (BUILD/bench/parts, the server's own
//     codecs). The host's speed drifts by tens of percent over minutes, so
//     the 4-sender room, whose ratios are targets, is measured in ROUNDS_4
//     such back-to-back rounds and its targets take the median ratio;
//  4. the 4-sender room plus 10, 50, 100 receive-only hd viewers;
//  5. audio-only rooms of 10, 50, 100, 200 participants, 3 talking;
//  6. latency (a flash and a click, 20 events) and join time (15 joins);
//  7. capacity: K live 4-sender rooms at once (K = 1, 2, ... until one
//     misses real time: roomHolds in report.mjs), then K ffmpeg peers at
//     once the same way; the rooms each held, side by side.
// Every window is 20 s of media after a warm-up; the server's CPU is
// utime + stime of its process. The report (a Markdown section appended to
// docs/BENCHMARKS.md, a PNG plot under docs/benchmarks/, the raw results in
// BUILD/bench/) prints each target with PASS or MISS: goals, not tests.
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeMedia } from './media.mjs';
import { runLoadgen } from './lib.mjs';
import { runPeer } from './peer.mjs';
import { BUSY, f1, f2, f3, markdown, plot, roomHolds, slope, targets } from './report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = path.resolve(root, process.env.BUILD || 'build');
const MCU = path.join(BUILD, 'mcu');
const LOADGEN = path.join(BUILD, 'bench/loadgen');
const PARTS = path.join(BUILD, 'bench/parts');
const MEDIA = path.join(BUILD, 'bench/media');
// Where the report goes (docs/ of the tree unless told; a scratch run may
// write elsewhere).
const DOCS = path.resolve(root, process.env.BENCH_DOCS || 'docs');
const WARMUP = Number(process.env.BENCH_WARMUP || 4);
const MEASURE = 20; // seconds of media per window (issue #7)
const TALKERS = 3;
const SIZES = [2, 4, 9, 16];
const VIEWERS = [0, 10, 50, 100];
const AUDIO = [10, 50, 100, 200];
const JOINS = 15;
const ROUNDS_4 = 3;
const CAPACITY_MAX = Number(process.env.BENCH_CAPACITY_MAX || 8);

// The Makefile passes when `make bench` began (building included).
const started = process.env.BENCH_T0 ? Number(process.env.BENCH_T0) * 1000 : Date.now();
const log = (s) => process.stderr.write(`bench [${((Date.now() - started) / 1000).toFixed(0)} s] ${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- machine and versions -------------------------------------------------

function sh(cmd, args) {
  try { return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; }
}

function machine() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || 'unknown';
  const pkg = (p) => sh('dpkg-query', ['-W', '-f=${Version}', p]) || '?';
  const libx264 = sh('dpkg-query', ['-W', '-f=${Package} ${Version}\n', 'libx264-*']).split('\n')[0] || '?';
  return {
    cpu, cores: os.cpus().length, kernel: os.release(),
    debian: sh('cat', ['/etc/debian_version']),
    mcu: sh(MCU, ['--version']),
    commit: sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']) +
      (sh('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no']) ? ' (modified)' : ''),
    ffmpeg: (sh('ffmpeg', ['-version']).split('\n')[0] || '').replace(/ Copyright.*/, ''),
    libx264, libopus: pkg('libopus0'), libavcodec: pkg('libavcodec59'), node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

// ---- the server -----------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startServer(extra = []) {
  const port = await freePort();
  const rec = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rec-'));
  // RTP ports below the kernel's ephemeral range (32768-60999), where the
  // load generator's own sockets live.
  const proc = spawn(MCU, ['-c', path.join(root, 'configs/mcu.conf'), `--listen=127.0.0.1:${port}`,
    '--ice_addresses=127.0.0.1', '--rtp_port_min=20000', '--rtp_port_max=29999',
    '--max_participants=1000', '--log_level=warn', `--recordings_dir=${rec}`, ...extra],
  { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let errText = '';
  proc.stderr.on('data', (c) => { errText = (errText + c).slice(-20000); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let up = false;
  for (let i = 0; i < 100 && !up && proc.exitCode === null; i++) {
    try { up = (await fetch(`http://127.0.0.1:${port}/api/health`)).ok; } catch { /* not yet */ }
    if (!up) await sleep(100);
  }
  if (!up) {
    proc.kill('SIGKILL');
    await exited;
    throw new Error(`mcu did not come up: ${errText}`);
  }
  return {
    pid: proc.pid, port, log: () => errText,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const r = await exited;
      clearTimeout(t);
      fs.rmSync(rec, { recursive: true, force: true });
      return r;
    },
  };
}

function loadgen(srv, room, extra) {
  const args = [`--server=127.0.0.1:${srv.port}`, `--room=${room}`, `--media=${MEDIA}`,
    `--mcu-pid=${srv.pid}`, `--talkers=${TALKERS}`, `--warmup=${WARMUP}`, `--measure=${MEASURE}`, ...extra];
  return runLoadgen(LOADGEN, args, { timeoutMs: 600000, onLog: (s) => process.stderr.write(`  ${s}`) });
}

// The codec parts of the given room sizes, as fast as they go, or with
// --paced a frame each 1/30 s as a room ticks (colder caches), for
// comparison.
function runParts(extra = []) {
  const out = execFileSync(PARTS, [`--media=${MEDIA}`, '--seconds=10', ...extra], { timeout: 300000 }).toString();
  return JSON.parse(out.trim().split('\n').pop());
}

// K 4-sender rooms at once, K rising until one misses real time; then K
// ffmpeg peers the same way. Each row: whether every room held, the worst
// receiver's fps and audio packets/s, late ticks, the server's CPU.
async function capacity(srv) {
  const out = { mcu: [], peer: [] };
  for (let k = 1; k <= CAPACITY_MAX; k++) {
    const runs = await Promise.all(Array.from({ length: k }, (_, i) =>
      checked(loadgen(srv, `cap${k}-${i}`, ['--step=4,1,0,0']), `${k} rooms at once`)));
    const steps = runs.map((v) => v.steps[0]);
    const rx = steps.flatMap((s) => Object.values(s.rx));
    const row = {
      k, held: steps.every(roomHolds),
      fps: Math.min(...rx.map((x) => x.video_fps_min)), audio: Math.min(...rx.map((x) => x.audio_pps_min)),
      overruns: steps.reduce((a, s) => a + s.delta.overruns, 0), ticks: steps.reduce((a, s) => a + s.delta.ticks, 0),
      cpu: steps[0].mcu_cpu_per_s, other: steps[0].other_cpu_per_s,
    };
    out.mcu.push(row);
    log(`  ${k} rooms: ${row.held ? 'held' : 'missed'} (min ${f1(row.fps)} fps, ${f1(row.audio)} audio pkt/s, ` +
      `${row.overruns} late ticks, ${f3(row.cpu)} CPU-s/s)`);
    if (!row.held) break;
  }
  for (let k = 1; k <= CAPACITY_MAX; k++) {
    const runs = await Promise.all(Array.from({ length: k }, () =>
      runPeer(4, { media: MEDIA, talkers: TALKERS, warmup: WARMUP, measure: MEASURE })));
    const row = { k, held: runs.every((p) => p.fps >= 29), fps: Math.min(...runs.map((p) => p.fps)),
      cpu: runs.reduce((a, p) => a + p.cpu_per_s, 0), other: runs[0].other_cpu_per_s };
    out.peer.push(row);
    log(`  ${k} peers: ${row.held ? 'held' : 'missed'} (min ${f1(row.fps)} fps, ${f3(row.cpu)} CPU-s/s)`);
    if (!row.held) break;
  }
  const held = (rows) => rows.filter((x) => x.held).length;
  out.mcuHeld = held(out.mcu);
  out.peerHeld = held(out.peer);
  return out;
}

// ---- the report ------------------------------------------------------------

function appendReport(text) {
  const file = path.join(DOCS, 'BENCHMARKS.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, [
      '# Benchmarks', '',
      'What `make bench` measured (issue #7): each run appends a section below, newest last. ' +
      'How it measures and how to read it is in README.md ("Benchmark") and at the top of ' +
      '`tests/bench/bench.mjs`. Compare figures within one run: the host\'s speed drifts, and ' +
      'other work on the machine shows up as "other load".', '', '',
    ].join('\n'));
  }
  fs.appendFileSync(file, `${text}\n`);
  return file;
}

// ---- main ---------------------------------------------------------------------

// Runs one scenario; a failure is recorded and the run goes on, so the
// report still shows everything else.
async function scenario(r, key, what, fn) {
  log(what);
  try {
    await fn();
  } catch (e) {
    r.errors[key] = String(e.message || e).split('\n')[0].slice(0, 300);
    log(`  ${key} failed: ${e.stack || e}`);
  }
}

async function checked(p, what) {
  const v = await p;
  if (!v.ok) throw new Error(`${what}: ${v.error}`);
  return v;
}

async function main() {
  for (const f of [MCU, LOADGEN, PARTS]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run make bench`);
  const r = { machine: machine(), warmup: WARMUP, measure: MEASURE, talkers: TALKERS, errors: {} };
  log(`machine: ${r.machine.cpu}, ${r.machine.cores} cores; ${r.machine.mcu}`);
  log(`media: making what is missing in ${path.relative(root, MEDIA)}`);
  await makeMedia(MEDIA);
  const srv = await startServer();
  log(`mcu pid ${srv.pid} on 127.0.0.1:${srv.port}`);
  try {
    // Each room size, its peer and its parts back to back: the ratios are
    // then taken within a minute, whatever else the machine does meanwhile.
    r.video = { steps: [] };
    r.peer = [];
    r.parts = { rooms: {} };
    r.rounds4 = [];
    const round = async (n) => {
      const v = await checked(loadgen(srv, `video${n}`, [`--step=${n},1,0,0`]), `room of ${n}`);
      const peer = await runPeer(n, { media: MEDIA, talkers: TALKERS, warmup: WARMUP, measure: MEASURE });
      const parts = runParts([`--senders=${n}`]);
      log(`  peer ${n}: ${f3(peer.cpu_per_s)} CPU-s/s at ${f1(peer.fps)} fps; parts: decodes ` +
        `${f3(parts.rooms[n].decode_sum)}, encodes ${f3(parts.rooms[n].encode_hd + parts.rooms[n].encode_sd)}`);
      return { step: v.steps[0], peer, parts };
    };
    await scenario(r, 'video', `1-3/7 video rooms of ${SIZES.join(', ')} senders, each followed by the ffmpeg peer ` +
      `and its codec parts; the 4-sender room in ${ROUNDS_4} rounds`, async () => {
      for (const n of SIZES) {
        const x = await round(n);
        r.video.steps.push(x.step);
        r.peer.push(x.peer);
        r.parts = { ...x.parts, rooms: { ...r.parts.rooms, ...x.parts.rooms } };
        if (n === 4) r.rounds4.push(x);
      }
      while (r.rounds4.length < ROUNDS_4) r.rounds4.push(await round(4));
    });
    await scenario(r, 'parts', '3/7 the 4-sender room\'s codec parts paced like a room', async () => {
      r.partsPaced = runParts(['--senders=4', '--paced']);
    });
    await scenario(r, 'viewers', `4/7 the 4-sender room plus ${VIEWERS.join(', ')} viewers`, async () => {
      r.viewers = await checked(loadgen(srv, 'viewers', VIEWERS.map((v) => `--step=4,1,${v},0`)), 'viewers');
    });
    await scenario(r, 'audio', `5/7 audio-only rooms of ${AUDIO.join(', ')}`, async () => {
      r.audio = await checked(loadgen(srv, 'audio', AUDIO.map((a) => `--step=0,0,0,${a}`)), 'audio rooms');
    });
    await scenario(r, 'latency', `6/7 latency (${MEASURE} s: one flash and one click a second) and ${JOINS} joins`, async () => {
      // Delays show scheduling, not only work: a window the rest of the
      // machine disturbed (or that overran) is tried once more, and the
      // quieter attempt kept.
      for (let attempt = 1; attempt <= 2; attempt++) {
        const l = await checked(loadgen(srv, `latency${attempt}`, ['--step=4,1,0,0', '--latency', `--joins=${JOINS}`]), 'latency');
        l.attempts = attempt;
        const w = l.steps[0], disturbed = w.delta.overruns > 0 || w.other_cpu_per_s > BUSY ||
          Object.values(w.rx).some((x) => x.send_resyncs > 0);
        if (!r.latency || w.other_cpu_per_s < r.latency.steps[0].other_cpu_per_s) r.latency = { ...l, attempts: attempt };
        if (!disturbed) break;
        log(`  disturbed (${w.delta.overruns} overruns, other load ${f2(w.other_cpu_per_s)}): once more`);
      }
    });
    await scenario(r, 'capacity', `7/7 capacity: 4-sender rooms at once, then ffmpeg peers, ` +
      `until one misses real time (at most ${CAPACITY_MAX})`, async () => {
      // A server of its own without a CPU budget: what holds is measured,
      // not what admission lets in.
      const free = await startServer(['--cpu_budget=off']);
      try {
        r.capacity = await capacity(free);
      } finally {
        await free.stop();
      }
    });
  } finally {
    const st = await srv.stop();
    if (st.code !== 0) log(`mcu exited with ${st.code ?? st.signal}: ${srv.log().slice(-2000)}`);
  }
  const windows = [r.video, r.viewers, r.audio, r.latency].flatMap((x) => x?.steps || []);
  r.otherLoad = windows.reduce((a, s) => a + s.other_cpu_per_s, 0) / (windows.length || 1);
  if (r.viewers) r.marginal = slope(r.viewers.steps.map((s) => s.step[2]), r.viewers.steps.map((s) => s.mcu_cpu_per_s));
  r.targets = targets(r);
  const stamp = r.machine.date.replace(/[-:]/g, '').replace(/Z$/, '');
  fs.mkdirSync(path.join(DOCS, 'benchmarks'), { recursive: true });
  r.plotRel = `benchmarks/${stamp}-cpu.png`;
  try {
    plot(r, SIZES, path.join(BUILD, 'bench', 'plot.dat'), path.join(DOCS, r.plotRel));
  } catch (e) {
    log(`plot failed: ${e.message}`);
    r.plotRel = null;
  }
  r.minutes = (Date.now() - started) / 60000;
  const text = markdown(r);
  const file = appendReport(text);
  const raw = path.join(BUILD, 'bench', `results-${stamp}.json`);
  fs.writeFileSync(raw, JSON.stringify(r, null, 1));
  process.stdout.write(`\n${text}\n`);
  log(`report appended to ${path.relative(root, file)}` +
    (r.plotRel ? `; plot ${path.relative(root, path.join(DOCS, r.plotRel))}` : '') + `; raw results ${path.relative(root, raw)}`);
  for (const t of r.targets) log(`${t.pass ? 'PASS' : 'MISS'} ${t.name}: ${t.measured} (goal ${t.goal})`);
  if (Object.keys(r.errors).length) {
    log(`scenarios that failed: ${Object.keys(r.errors).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => { log(`failed: ${e.stack || e}`); process.exit(1); });
