// badnet.mjs - run inside a network namespace of its own (tests/integ/
// badnet.test.mjs makes it, with an nftables chain `inet mcutest out` on
// the input hook: sends succeed, arrivals are lost): starts mcu, connects
// one peer, then makes the network bad by adding and flushing rules in that
// chain, and prints one JSON line of what it measured. Asserting is the caller's job, outside the namespace.
//
//   node badnet.mjs browser  - the served client (/room/...) in Chromium:
//     a 10 s UDP blackout, a 16 s one (the client restarts ICE), then 60 s
//     of 15% random UDP loss
//   node badnet.mjs aiortc   - an aiortc peer (lib/aiortc_peer.py): a 6 s
//     UDP blackout, then a 12 s one, then one that does not end (the peer
//     has vanished), with media_timeout_s = 20
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import { startMcu } from './mcu.mjs';
import { launchBrowser } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mode = process.argv[2];
const BLACKOUT_MS = 10000;
const LONG_BLACKOUT_MS = 16000;
const BLACKOUTS_MS = [6000, 12000]; // aiortc's
const MEDIA_TIMEOUT_S = 20; // aiortc's server: shorter than the default 30, for the test's time
const LOSS_MS = 60000;

const nft = (...args) => execFileSync('nft', args, { encoding: 'utf8' });
const blackout = () => nft('add', 'rule', 'inet', 'mcutest', 'out', 'meta', 'l4proto', 'udp', 'counter', 'drop');
const lossy = (pct) => nft('add', 'rule', 'inet', 'mcutest', 'out', 'meta', 'l4proto', 'udp',
  'numgen', 'random', 'mod', '100', '<', String(pct), 'counter', 'drop');
const dropped = () => Number((nft('list', 'chain', 'inet', 'mcutest', 'out').match(/packets (\d+)/) || [0, 0])[1]);
const heal = () => nft('flush', 'chain', 'inet', 'mcutest', 'out');

const out = { mode, error: null, exit: null };
let mcu = null;
let browser = null;
let peer = null;

async function participants(room) {
  const r = await mcu.api('GET', `/api/rooms/${room}`);
  return r.status === 200 ? r.json.participants.map((p) => ({ id: p.id, ice: p.stats.ice_state,
    video_in: p.stats.video.packets_in })) : [];
}

// Polls fn every 100 ms until it is true or ms pass; returns the ms taken or null.
async function within(ms, fn) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await fn()) return Date.now() - t0;
    await sleep(100);
  }
  return null;
}

async function browserRun() {
  browser = await launchBrowser();
  const page = await browser.newPage();
  // Record the client's PATCHes (its ICE restarts) and its ICE states.
  await page.addInitScript(() => {
    const f = window.fetch;
    window.__patches = [];
    window.fetch = async (url, init = {}) => {
      const r = await f(url, init);
      if (init.method === 'PATCH') {
        window.__patches.push({ t: Math.round(performance.now()), status: r.status,
          candidates: (String(init.body).match(/a=candidate:/g) || []).length });
      }
      return r;
    };
  });
  await page.goto(`${mcu.base}/room/badnet?name=alice&profile=sd`);
  // Join once the camera is open, or the offer would only receive.
  await page.waitForFunction(() => document.getElementById('preview').srcObject, null, { timeout: 10000 });
  await page.click('#join');
  await page.waitForFunction(() => document.getElementById('state').dataset.state === 'connected', null, { timeout: 20000 })
    .catch(async (e) => {
      throw new Error(`${e.message}; the page says: ${await page.evaluate(() => `${document.getElementById('state').dataset.state}: ${document.getElementById('error').textContent}`)}`);
    });
  await page.evaluate(() => {
    window.__ice = [];
    const log = () => window.__ice.push([Math.round(performance.now()), pc.iceConnectionState]);
    pc.addEventListener('iceconnectionstatechange', log);
  });
  // framesDecoded of the composite; the client's pc is a global of its script.
  const frames = () => page.evaluate(async () => {
    let n = 0;
    if (pc) (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0; });
    return n;
  });
  const now = () => page.evaluate(() => Math.round(performance.now()));
  await within(10000, async () => (await frames()) > 30);
  out.before = { frames: await frames(), participants: await participants('badnet') };

  // (a) a blackout: every UDP datagram dropped, then the network returns.
  out.blackoutAt = await now();
  blackout();
  const fStart = await frames();
  await sleep(BLACKOUT_MS);
  const f0 = await frames();
  out.blackoutDropped = dropped();
  heal();
  out.backAt = await now();
  out.blackout = { framesAtStart: fStart, frames: f0, participants: await participants('badnet') };
  out.recoverMs = await within(20000, async () => (await frames()) > f0 + 5);
  out.afterBlackout = { frames: await frames(), participants: await participants('badnet'),
    state: await page.evaluate(() => document.getElementById('state').dataset.state) };

  // A blackout long enough for the client to restart ICE (Chromium calls
  // the connection disconnected after about 6 s without answers).
  out.longAt = await now();
  blackout();
  await sleep(LONG_BLACKOUT_MS);
  const f1 = await frames();
  heal();
  out.longBackAt = await now();
  out.longRecoverMs = await within(20000, async () => (await frames()) > f1 + 5);
  out.afterLong = { frames: await frames(), participants: await participants('badnet'),
    state: await page.evaluate(() => document.getElementById('state').dataset.state),
    patches: await page.evaluate(() => window.__patches), ice: await page.evaluate(() => window.__ice) };

  // (b) 15% random loss for a minute: frames keep coming in every 5 s.
  lossy(15);
  out.loss = [];
  for (let t = 0; t < LOSS_MS; t += 5000) {
    await sleep(5000);
    out.loss.push(await frames());
  }
  out.lossDropped = dropped();
  heal();
  out.end = { frames: await frames(), participants: await participants('badnet'),
    state: await page.evaluate(() => document.getElementById('state').dataset.state),
    patches: await page.evaluate(() => window.__patches), ice: await page.evaluate(() => window.__ice) };
  await browser.close();
  browser = null;
}

async function aiortcRun() {
  const url = `${mcu.base}/whip/aiortc?name=aiortc`;
  peer = spawn('/usr/bin/python3', [path.join(here, 'aiortc_peer.py'), url, String(60)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = null;
  let stderr = '';
  peer.stderr.on('data', (c) => { stderr += c; });
  const lines = readline.createInterface({ input: peer.stdout });
  lines.on('line', (l) => { try { last = JSON.parse(l); } catch { /* not ours */ } });
  const exited = new Promise((r) => peer.on('exit', r));
  const ok = await within(20000, () => last && last.video > 30);
  if (!ok) throw new Error(`aiortc did not receive video: ${JSON.stringify(last)} ${stderr}`);
  out.before = { peer: last, participants: await participants('aiortc') };
  // A 6 s blackout, then a 12 s one: longer than the 10 s after which
  // libnice's consent freshness gave up.
  out.blackouts = [];
  for (const ms of BLACKOUTS_MS) {
    blackout();
    await sleep(ms);
    const b = { ms, dropped: dropped() };
    heal();
    b.participants = await participants('aiortc');
    const v0 = last.video;
    const p0 = b.participants[0]?.video_in ?? 0;
    b.recoverMs = await within(10000, () => last.video > v0 + 5);
    b.serverRecoverMs = await within(10000, async () => ((await participants('aiortc'))[0]?.video_in ?? 0) > p0 + 5);
    out.blackouts.push(b);
  }
  out.end = { peer: last, participants: await participants('aiortc') };
  // Then the network goes for good: the server drops the peer once
  // media_timeout_s passes with nothing from it.
  blackout();
  out.vanishedDropMs = await within(MEDIA_TIMEOUT_S * 1000 + 10000, async () => (await participants('aiortc')).length === 0);
  heal();
  peer.kill('SIGTERM');
  await exited;
  out.stderr = stderr.slice(-2000);
}

try {
  // No ICE-TCP: Chromium would move to the TCP pair when UDP goes, and
  // the blackouts would be of UDP only.
  mcu = await startMcu(['--ice_tcp=false', ...(mode === 'aiortc' ? [`--media_timeout_s=${MEDIA_TIMEOUT_S}`] : [])]);
  if (mode === 'browser') await browserRun();
  else await aiortcRun();
  out.drops = mcu.log().split('\n').filter((l) => l.includes('dropped:'));
  out.exit = (await mcu.stop()).code;
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (peer && peer.exitCode === null) peer.kill('SIGTERM');
  if (mcu) await mcu.stop().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + '\n');
