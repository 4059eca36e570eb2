// turn.test.mjs - STUN/TURN servers told to clients (RFC 9725 Link
// headers), with a real coturn on loopback that checks time-limited
// credentials minted from a shared secret. OPTIONS and the POST answer carry
// the Link headers; a Chromium viewer forced to relay-only with the
// credentials from a POST answer joins and receives the composite, while a
// wrong credential gets nowhere; the served client, with ?ice=relay, reads
// the servers from OPTIONS and joins through the relay; the JSON join answer
// lists them as ice_servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium, joinRoom, observe, selectedPair } from './lib/browser.mjs';
import { webrtcOffer } from './lib/offers.mjs';

const SECRET = 'turn-test-secret';

function haveCoturn() {
  return spawnSync('turnserver', ['--version'], { stdio: 'ignore' }).error === undefined;
}

// A UDP port free on loopback now (coturn binds it right after).
async function freeUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// Starts coturn on 127.0.0.1 relaying from 127.0.0.1 (loopback peers
// allowed: the mcu is one), checking credentials minted with SECRET.
async function startCoturn() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-turn-'));
  const port = await freeUdpPort();
  const minPort = 40000 + Math.floor(Math.random() * 400) * 20;
  const maxPort = minPort + 19;
  const proc = spawn('turnserver', ['-n', '--listening-ip=127.0.0.1', `--listening-port=${port}`,
    '--relay-ip=127.0.0.1', `--min-port=${minPort}`, `--max-port=${maxPort}`,
    '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=mcu.test', '--fingerprint',
    '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers', '--log-file=stdout', '--simple-log',
    `--pidfile=${path.join(dir, 'pid')}`, `--userdb=${path.join(dir, 'db')}`],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (c) => { log += c; });
  proc.stderr.on('data', (c) => { log += c; });
  const exited = new Promise((r) => proc.on('exit', r));
  await waitFor(() => log.includes('Total General servers') || proc.exitCode !== null, { what: 'coturn ready' });
  assert.equal(proc.exitCode, null, `coturn exited: ${log}`);
  return {
    port, minPort, maxPort, log: () => log,
    async stop() {
      if (proc.exitCode === null) { proc.kill('SIGTERM'); await exited; }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The Link header values (comma-joined by fetch) as RTCIceServer objects.
function parseLinks(header) {
  const out = [];
  for (const [, uri, params] of (header || '').matchAll(/<([^>]*)>([^<]*)/g)) {
    const p = Object.fromEntries([...params.matchAll(/;\s*([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (p.rel === 'ice-server') out.push({ urls: uri, username: p.username, credential: p.credential, type: p['credential-type'] });
  }
  return out;
}

test('TURN: Link headers with working credentials; relay-only clients join through coturn', {
  timeout: 120000,
  skip: !haveChromium() ? 'no chromium' : !haveCoturn() ? 'no turnserver (Debian coturn)' : false,
}, async (t) => {
  const turn = await startCoturn();
  const turnUrl = `turn:127.0.0.1:${turn.port}?transport=udp`;
  const mcu = await startMcu([`--ice_servers=stun:127.0.0.1:${turn.port} ${turnUrl}`,
    `--ice_secret=${SECRET}`, '--ice_username=mcu', '--ice_credential_ttl_s=600']);
  const browser = await launchBrowser();
  try {
    // OPTIONS (before an offer is made) names both servers; TURN with a
    // credential that expires ttl from now.
    const opt = await fetch(`${mcu.base}/whip/relay`, { method: 'OPTIONS' });
    assert.equal(opt.status, 204);
    const offered = parseLinks(opt.headers.get('Link'));
    assert.deepEqual(offered.map((s) => s.urls), [`stun:127.0.0.1:${turn.port}`, turnUrl]);
    const [expiry, user] = offered[1].username.split(':');
    assert.equal(user, 'mcu');
    assert.ok(Math.abs(Number(expiry) - (Date.now() / 1000 + 600)) < 30, `expiry ${expiry}`);
    assert.equal(offered[1].type, 'password');
    assert.equal(offered[0].username, undefined, 'STUN carries no credentials');

    // A sender joins as usual; its POST answer carries the Link headers.
    const sender = await browser.newPage();
    await sender.goto(`${mcu.base}/api/health`);
    const s = await joinRoom(sender, '/whip/relay?name=sender', { color: '#ff0000', freq: 440 });
    assert.equal(s.status, 201);
    assert.ok(s.connected);
    const servers = parseLinks(s.links).filter((x) => x.urls.startsWith('turn:'));
    assert.equal(servers.length, 1, `Link: ${s.links}`);

    // Relay only, with those credentials: joins, and the pair is relayed.
    const viewer = await browser.newPage();
    await viewer.goto(`${mcu.base}/api/health`);
    const v = await joinRoom(viewer, '/whep/relay?name=viewer', {
      iceServers: [{ urls: servers[0].urls, username: servers[0].username, credential: servers[0].credential }],
      iceTransportPolicy: 'relay',
    });
    assert.equal(v.status, 201);
    assert.ok(v.connected, 'relay-only viewer connected');
    await waitFor(async () => (await observe(viewer, {}, [])).frames > 30, { what: 'frames over the relay' });
    const pair = await selectedPair(viewer);
    t.diagnostic(`viewer's pair: ${JSON.stringify(pair)}`);
    assert.equal(pair.local.candidateType, 'relay');
    const seen = await observe(viewer, { red: [255, 0, 0] }, [440]);
    assert.ok(seen.colors.red > 0.2, `composite shows the sender (${seen.colors.red})`);
    assert.ok(seen.tones[440] > -50, `viewer hears the sender (${seen.tones[440]} dB)`);

    // A wrong credential: coturn refuses the allocation, so no candidate
    // and no connection.
    const stranger = await browser.newPage();
    await stranger.goto(`${mcu.base}/api/health`);
    const w = await joinRoom(stranger, '/whep/relay?name=stranger', {
      iceServers: [{ urls: turnUrl, username: servers[0].username, credential: 'not-the-credential' }],
      iceTransportPolicy: 'relay', timeoutMs: 4000,
    });
    assert.equal(w.connected, false, 'a wrong TURN credential does not connect');

    // The served client reads the servers from OPTIONS; ?ice=relay makes it
    // relay only. The server sees its media come from coturn's relay ports.
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${mcu.base}/room/relay?ice=relay`);
    await page.waitForFunction(() => document.getElementById('preview').srcObject, null, { timeout: 10000 });
    await page.fill('#name', 'client');
    await page.click('#join');
    await page.waitForFunction(() => document.getElementById('state').textContent === 'connected', null, { timeout: 15000 });
    const room = (await mcu.api('GET', '/api/rooms/relay')).json;
    const client = room.participants.find((p) => p.name === 'client');
    assert.ok(client, 'the served client joined');
    const pairs = [...mcu.log().matchAll(new RegExp(`ep=${client.id} selected pair udp \\S+ <-> 127\\.0\\.0\\.1:(\\d+)`, 'g'))];
    assert.ok(pairs.length > 0, 'the server logged its selected pair');
    const remotePort = Number(pairs.at(-1)[1]);
    assert.ok(remotePort >= turn.minPort && remotePort <= turn.maxPort,
      `the client's media comes from a relay port (${remotePort} in ${turn.minPort}-${turn.maxPort})`);
    await ctx.close();

    // The JSON join answer lists the servers as RTCIceServer objects.
    const j = await mcu.api('POST', '/api/rooms/relay/participants', { body: { sdp: webrtcOffer(), name: 'api' } });
    assert.equal(j.status, 201, j.text);
    assert.equal(j.json.ice_servers.length, 2);
    assert.equal(j.json.ice_servers[1].urls, turnUrl);
    assert.match(j.json.ice_servers[1].username, /^\d+:mcu$/);
    assert.equal(typeof j.json.ice_servers[1].credential, 'string');
    await browser.close();
    assert.equal((await mcu.stop()).code, 0, 'mcu exits 0 on SIGTERM');
  } finally {
    await browser.close().catch(() => {});
    await mcu.stop();
    await turn.stop();
  }
});
