// httpguard.test.mjs - the HTTP server under connection pressure (the real
// mcu, loopback only):
//  - slowloris: 1,000 connections from 10 source addresses (127.0.0.2-11),
//    each trickling a header line every 11 s and reconnecting when cut, for
//    40 s: /api/health answers a fresh connection in < 1 s every 2 s, and a
//    WHIP join succeeds;
//  - deadlines: trickled headers, a trickled body and a silent connection
//    are cut at their deadline (2 s, 3 s, 2 s here);
//  - eviction: 120 slow clients for 100 slots, no deadline or per-address
//    share within the test: /api/health still answers in < 1 s;
//  - SIGTERM with 1,000 idle connections and a recording room (a plain-RTP
//    ffmpeg sender): exit 0 within 5 s, the recording finalized (sidecar
//    "done", the MP4 readable by ffprobe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { webrtcOffer } from './lib/offers.mjs';

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ADDRESSES = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`);
const haveFfmpeg = fs.existsSync('/usr/bin/ffmpeg') && fs.existsSync('/usr/bin/ffprobe');

// This process holds 1,000+ sockets: node raises its soft limit to the hard
// one at start, so the hard limit is what counts.
function fdLimit() {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => /open files/.test(l));
  return Number(line.trim().split(/\s+/)[3]);
}
const FD_SKIP = fdLimit() < 2500 && `open-file limit ${fdLimit()} < 2500 (ulimit -n)`;

// One request on a connection of its own; resolves status, body and latency
// (status 0 when it fails or takes longer than timeoutMs).
function fresh(port, method, urlPath, { body, headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent: false,
      headers: { Connection: 'close', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text, ms: Date.now() - t0 }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, text: String(e.message), ms: Date.now() - t0 }));
    req.end(body);
  });
}

// Keeps n connections open from the given addresses. Each sends the start
// of a request (slow: then a header line every trickleMs) or nothing (idle)
// and, when the server cuts or refuses it, comes back after reconnectMs, at
// most maxConnects times in all. stop() ends them all.
function pressure(port, n, { slow, trickleMs = 11000, reconnectMs = 2000, maxConnects = 20000 }) {
  const stats = { connects: 0, closedByServer: 0 };
  const sockets = new Set();
  const timers = new Set();
  let stopped = false;
  const later = (fn, ms) => { const t = setTimeout(() => { timers.delete(t); fn(); }, ms); timers.add(t); };
  function open(i) {
    if (stopped || stats.connects >= maxConnects) return;
    stats.connects++;
    const s = net.connect({ host: '127.0.0.1', port, localAddress: ADDRESSES[i % ADDRESSES.length] });
    sockets.add(s);
    let trickle = null;
    s.on('connect', () => {
      if (!slow) return;
      s.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
      trickle = setInterval(() => s.write(`X-Slow-${Date.now()}: ${i}\r\n`), trickleMs);
    });
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => {
      if (trickle) clearInterval(trickle);
      if (sockets.delete(s) && !stopped) {
        stats.closedByServer++;
        later(() => open(i), reconnectMs + Math.floor(Math.random() * 500));
      }
    });
  }
  for (let i = 0; i < n; i++) later(() => open(i), Math.floor(i / 100) * 50); // 100 per 50 ms
  return {
    stats,
    live: () => [...sockets].filter((s) => !s.connecting && !s.destroyed).length,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}

test('slowloris: 1,000 trickling connections from 10 addresses; /api/health < 1 s throughout, WHIP joins',
  { skip: FD_SKIP, timeout: 90000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info']);
    const attack = pressure(mcu.port, 1000, { slow: true });
    try {
      await sleep(1000);
      const latencies = [];
      let joined = null;
      const end = Date.now() + 40000;
      for (let i = 0; i < 30 && Date.now() < end; i++) {
        const r = await fresh(mcu.port, 'GET', '/api/health', { timeoutMs: 1000 });
        latencies.push(r.ms);
        assert.equal(r.status, 200, `health poll ${i} at ${latencies.length * 2} s: ${r.text} (${r.ms} ms)`);
        assert.ok(r.ms < 1000, `health answered in ${r.ms} ms`);
        if (i === 8) { // ~18 s in: the first trickled connections have been cut and come back
          joined = await fresh(mcu.port, 'POST', '/whip/slowroom', { body: webrtcOffer(),
            headers: { 'Content-Type': 'application/sdp' }, timeoutMs: 5000 });
          assert.equal(joined.status, 201, `WHIP join: ${joined.text}`);
        }
        await sleep(Math.max(0, 2000 - r.ms));
      }
      assert.ok(latencies.length >= 18, `${latencies.length} polls in 40 s`);
      assert.ok(joined, 'the join ran');
      const cuts = mcu.log().match(/cut slow connections: (\d+) headers late/g) || [];
      t.diagnostic(`health latency max ${Math.max(...latencies)} ms, mean ` +
        `${(latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(1)} ms over ` +
        `${latencies.length} polls; WHIP join ${joined.ms} ms; attacker connects ${attack.stats.connects}, ` +
        `closed by the server ${attack.stats.closedByServer}, open at the end ${attack.live()}`);
      t.diagnostic(cuts.join('; '));
      assert.ok(attack.stats.closedByServer >= 500, 'the server cut or refused the slow connections');
    } finally {
      attack.stop();
      const { code } = await mcu.stop();
      assert.equal(code, 0, 'mcu exits 0 on SIGTERM');
    }
  });

// Sends parts of a request, one every stepMs; resolves when (ms after the
// first write) and how the server ended the connection.
function trickle(port, parts, stepMs, giveUpMs) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const t0 = Date.now();
    const timers = parts.map((part, i) => setTimeout(() => s.write(part), i * stepMs));
    const end = setTimeout(() => s.destroy(), giveUpMs);
    s.on('data', (d) => { buf += d; });
    s.on('error', () => {});
    s.on('close', () => {
      timers.forEach(clearTimeout);
      clearTimeout(end);
      resolve({ ms: Date.now() - t0, answered: buf.split('\r\n')[0] });
    });
  });
}

test('deadlines: late headers and a late body are cut at their deadline, steady trickling or not',
  { timeout: 30000 }, async (t) => {
    const mcu = await startMcu(['--log_level=info', '--http_header_timeout_s=2', '--http_body_timeout_s=3']);
    try {
      const lines = Array.from({ length: 20 }, (_, i) => (i ? `X-Slow-${i}: 1\r\n` : 'GET /api/health HTTP/1.1\r\nHost: a\r\n'));
      const body = Array.from({ length: 20 }, (_, i) => (i ? 'x' : 'POST /api/rooms HTTP/1.1\r\nHost: a\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n'));
      const [headers, slowBody, quiet] = await Promise.all([
        trickle(mcu.port, lines, 500, 10000),   // a header line every 0.5 s
        trickle(mcu.port, body, 500, 10000),    // the headers at once, a body byte every 0.5 s
        trickle(mcu.port, [''], 500, 10000),    // connects and says nothing
      ]);
      t.diagnostic(`cut after: headers trickled ${headers.ms} ms, body trickled ${slowBody.ms} ms, ` +
        `silent ${quiet.ms} ms`);
      for (const [what, r, limit] of [['trickled headers', headers, 2000], ['a trickled body', slowBody, 3000],
        ['a silent connection', quiet, 2000]]) {
        assert.equal(r.answered, '', `${what}: closed without an answer`);
        assert.ok(r.ms >= limit - 100 && r.ms <= limit + 1500, `${what} cut after ${r.ms} ms (deadline ${limit})`);
      }
      assert.equal((await mcu.api('GET', '/api/health')).status, 200);
    } finally {
      const { code } = await mcu.stop();
      assert.equal(code, 0, 'mcu exits 0 on SIGTERM');
    }
  });

test('eviction: with every slot held by slow clients within their deadline, /api/health still gets in',
  { skip: FD_SKIP, timeout: 60000 }, async (t) => {
    // No per-address share and no deadline within the test: only eviction helps.
    const mcu = await startMcu(['--log_level=info', '--http_max_connections=100', '--http_max_per_ip=100',
      '--http_header_timeout_s=120']);
    const attack = pressure(mcu.port, 120, { slow: true, reconnectMs: 500 });
    try {
      await waitFor(() => attack.stats.connects >= 150, { timeoutMs: 15000, what: 'the table full and slow clients evicted' });
      const latencies = [];
      for (let i = 0; i < 5; i++) {
        const r = await fresh(mcu.port, 'GET', '/api/health', { timeoutMs: 1000 });
        latencies.push(r.ms);
        assert.equal(r.status, 200, `health ${i}: ${r.text} (${r.ms} ms)`);
        await sleep(500);
      }
      const evicted = (mcu.log().match(/(\d+) evicted for a new one/g) || []).join('; ');
      t.diagnostic(`health latency max ${Math.max(...latencies)} ms; attacker connects ` +
        `${attack.stats.connects}, open ${attack.live()}; ${evicted}`);
      assert.ok(attack.stats.closedByServer > 0, 'slow clients were evicted');
    } finally {
      attack.stop();
      const { code } = await mcu.stop();
      assert.equal(code, 0, 'mcu exits 0 on SIGTERM');
    }
  });

// A plain-RTP endpoint that sends H.264 + PCMU (what it is sent goes nowhere).
function offerSdp(port) {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=sender', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=video ${port} RTP/AVP 96`, 'a=rtpmap:96 H264/90000',
    'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f', 'a=sendrecv',
    `m=audio ${port + 2} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
}

test('SIGTERM with 1,000 idle connections and a recording room: exit 0 in <= 5 s, recording finalized',
  { skip: FD_SKIP || (!haveFfmpeg && 'needs ffmpeg and ffprobe'), timeout: 90000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-httpguard-'));
    // Idle connections are held (no header deadline within the test), 110
    // per address so that 10 addresses can hold 1,000.
    const mcu = await startMcu([`--recordings_dir=${dir}`, '--log_level=info',
      '--http_max_connections=1100', '--http_max_per_ip=110', '--http_header_timeout_s=120']);
    let idle = null;
    let ff = null;
    try {
      const clip = path.join(dir, 'clip.mkv');
      await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0x0000FF:s=640x360:r=30',
        '-f', 'lavfi', '-i', 'sine=f=930:r=8000', '-t', '4', '-c:v', 'libx264', '-profile:v', 'baseline',
        '-g', '30', '-bf', '0', '-pix_fmt', 'yuv420p', '-c:a', 'pcm_mulaw', clip]);
      assert.equal((await mcu.api('POST', '/api/rooms', { body: { room: 'rec', record: true } })).status, 201);
      const res = await mcu.api('POST', '/api/rooms/rec/participants',
        { body: { sdp: offerSdp(28000 + Math.floor(Math.random() * 400) * 4), name: 'sender' } });
      assert.equal(res.status, 201, res.text);
      const vport = Number(res.json.sdp.match(/^m=video (\d+)/m)[1]);
      const aport = Number(res.json.sdp.match(/^m=audio (\d+)/m)[1]);
      ff = spawn('ffmpeg', ['-v', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-t', '60',
        '-map', '0:v', '-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-payload_type', '96', '-f', 'rtp',
        `rtp://127.0.0.1:${vport}?pkt_size=1200`, '-map', '0:a', '-c', 'copy', '-payload_type', '0',
        '-f', 'rtp', `rtp://127.0.0.1:${aport}`], { stdio: 'ignore' });
      const ffExited = new Promise((resolve) => ff.on('exit', resolve));
      ff.exited = ffExited;

      idle = pressure(mcu.port, 1000, { slow: false, reconnectMs: 60000 });
      await waitFor(() => idle.live() >= 1000, { timeoutMs: 20000, what: '1,000 idle connections' });
      const rec = await waitFor(async () => {
        const list = (await mcu.api('GET', '/api/recordings')).json?.recordings || [];
        return list.find((r) => r.room === 'rec' && r.state === 'recording' && r.duration_s >= 3);
      }, { timeoutMs: 20000, what: 'a recording of 3 s' });
      const held = idle.live();
      assert.ok(held >= 990, `${held} idle connections held at SIGTERM`);

      const t0 = Date.now();
      const { code } = await mcu.stop(15000);
      const exitMs = Date.now() - t0;
      t.diagnostic(`SIGTERM with ${held} idle connections: exit ${code} in ${exitMs} ms; ` +
        mcu.log().split('\n').filter((l) => /stopped|finalized|recording .* done/.test(l))
          .map((l) => l.replace(/^\S+ /, '')).join('; '));
      assert.equal(code, 0, 'exit 0');
      assert.ok(exitMs <= 5000, `exit took ${exitMs} ms`);

      const sidecar = JSON.parse(fs.readFileSync(path.join(dir, `${rec.file}.json`), 'utf8'));
      assert.equal(sidecar.state, 'done', JSON.stringify(sidecar));
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json',
        path.join(dir, rec.file)]);
      const info = JSON.parse(stdout);
      assert.ok(info.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264'));
      assert.ok(Number(info.format.duration) >= 3, `duration ${info.format.duration}`);
      t.diagnostic(`recording ${rec.file}: ${Number(info.format.duration).toFixed(2)} s, state ${sidecar.state}`);
    } finally {
      idle?.stop();
      if (ff && ff.exitCode === null) { ff.kill('SIGTERM'); await ff.exited; }
      await mcu.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
