// pages.test.mjs - the pages the server serves, driven through their own
// controls in headless Chromium (fake camera, beeping fake microphone).
// Client (index.html): two people join /room/demo, see the composite and
// the live figures, one mutes and the other hears the silence, one switches
// the layout, one leaves; a bad room name (400) and a full room (503) are
// said in words. Console (admin.html) on a server with an operator key and
// join tokens: Basic auth (401 without), a client asking for and using a
// join token, the room with a live JPEG thumbnail, layout and record
// switches, the recording listed, kicking a participant.
// Screenshots go to a temp dir (printed), and to docs/ with MCU_SCREENSHOTS=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium } from './lib/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-pages-'));
const VIEWPORT = { width: 1280, height: 800 };

async function screenshot(t, page, name, opts = {}) {
  const file = path.join(shotDir, `${name}.png`);
  await page.screenshot({ path: file, ...opts });
  if (process.env.MCU_SCREENSHOTS === '1') {
    fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
    fs.copyFileSync(file, path.join(root, 'docs', `${name}.png`));
  }
  t.diagnostic(`screenshot: ${file}`);
}

// Opens the client at url in a browser context of its own and waits until
// the page has opened the (fake) camera and listed the devices.
async function openClient(browser, url) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('preview').srcObject &&
    document.querySelectorAll('#camera option[value]:not([value=""])').length > 0, null, { timeout: 10000 });
  return page;
}

// Joins through the page's own form and waits for the connected state.
async function joinAs(page, name, profile) {
  await page.fill('#name', name);
  await page.selectOption('#profile', profile);
  await page.click('#join');
  await page.waitForFunction(() => document.getElementById('state').textContent === 'connected', null, { timeout: 15000 })
    .catch(async (e) => {
      throw new Error(`${name} not connected: state ${await page.textContent('#state')}, ` +
        `error "${await page.textContent('#error')}" (${e.message})`);
    });
}

const text = async (page, sel) => (await page.textContent(sel)).trim();

// In the page: the loudest ~20 ms of the received audio (RMS of an
// AnalyserNode on #remote's audio track) within ms, and when the loud bits
// came. The fake microphone beeps twice a second: the maximum catches it.
async function receivedLevel(page, ms) {
  return page.evaluate(async (ms) => {
    if (!window.__level) {
      const track = document.getElementById('remote').srcObject.getAudioTracks()[0];
      const ac = new AudioContext();
      const an = ac.createAnalyser();
      an.fftSize = 1024;
      ac.createMediaStreamSource(new MediaStream([track])).connect(an);
      await ac.resume();
      window.__level = an;
    }
    const an = window.__level;
    const buf = new Float32Array(an.fftSize);
    let max = 0;
    const t0 = performance.now();
    const peaks = [];
    while (performance.now() < t0 + ms) {
      an.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      const rms = Math.sqrt(sum / buf.length);
      if (rms > 0.01) peaks.push(`${Math.round(performance.now() - t0)}ms:${rms.toFixed(3)}`);
      max = Math.max(max, rms);
      await new Promise((r) => setTimeout(r, 10));
    }
    return { max, peaks: peaks.join(' ') };
  }, ms);
}

test('client page: join, composite, mute, layout, leave',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 60000 }, async (t) => {
    // No operator key here: the client may switch the layout. Two per room,
    // so that a third is refused as "full".
    const mcu = await startMcu(['--log_level=info', '--max_participants=2']);
    const browser = await launchBrowser();
    try {
      // The page, its files, and the room taken from the path.
      const home = await fetch(`${mcu.base}/`);
      assert.equal(home.status, 200);
      assert.match(home.headers.get('Content-Type'), /^text\/html/);
      assert.match(await home.text(), /\/static\/client\.js/);
      for (const f of ['mcu.css', 'client.js']) assert.equal((await fetch(`${mcu.base}/static/${f}`)).status, 200, f);
      const a = await openClient(browser, `${mcu.base}/room/demo`);
      assert.equal(await a.inputValue('#room'), 'demo', 'room prefilled from the URL');
      assert.equal(await text(a, '#state'), 'idle');

      // A bad room name is refused by the server (400) and said in words.
      await a.fill('#room', 'no spaces!');
      await a.click('#join');
      await a.waitForFunction(() => document.getElementById('state').textContent === 'failed', null, { timeout: 10000 });
      assert.match(await text(a, '#error'), /not a valid room name/);
      await a.fill('#room', 'demo');

      await joinAs(a, 'alice', 'hd');
      const b = await openClient(browser, `${mcu.base}/room/demo`);
      await joinAs(b, 'bob', 'ld');
      assert.equal(await a.isVisible('#error'), false, 'no error shown once connected');

      // A third is refused (503): the page says the server is full and when to retry.
      const c = await openClient(browser, `${mcu.base}/room/demo`);
      await c.click('#join');
      await c.waitForFunction(() => document.getElementById('state').textContent === 'failed', null, { timeout: 10000 });
      assert.match(await text(c, '#error'), /full.*Try again in \d+ seconds/);
      await c.context().close();

      // The composite arrives and keeps coming: frames decoded rise.
      const frames = async (p) => Number(await text(p, '#stat-frames')) || 0;
      const f0 = await waitFor(async () => (await frames(a)) > 0 && frames(a), { timeoutMs: 10000, what: 'first frames' });
      const f1 = await waitFor(async () => (await frames(a)) > f0 + 10 && frames(a), { timeoutMs: 10000, what: 'frames rise' });
      t.diagnostic(`alice decoded ${f0} then ${f1} frames`);
      await waitFor(async () => (await text(b, '#stat-size')) === '320×180', { timeoutMs: 10000, what: 'bob receives ld' });
      await waitFor(async () => (await text(a, '#stat-size')) === '1280×720', { timeoutMs: 10000, what: 'alice receives hd' });
      await waitFor(async () => /^(< )?\d+ ms$/.test(await text(a, '#stat-rtt')) && /^[1-9]\d* kbit\/s$/.test(await text(a, '#stat-in')),
        { timeoutMs: 5000, what: 'rtt and bitrate shown' });
      const room = (await mcu.api('GET', '/api/rooms/demo')).json;
      assert.deepEqual(room.participants.map((p) => `${p.name}:${p.profile}`).sort(), ['alice:hd', 'bob:ld']);
      await screenshot(t, a, 'client');

      // Mute: bob mutes himself first, so what he receives is alice alone;
      // then alice mutes and bob's received audio falls to (near) silence.
      await b.click('#mute');
      assert.equal(await b.getAttribute('#mute', 'aria-pressed'), 'true');
      await new Promise((r) => setTimeout(r, 1000));
      const before = await receivedLevel(b, 2000);
      assert.ok(before.max > 0.05, `alice's beep is audible at bob before the mute: ${JSON.stringify(before)}`);
      await a.click('#mute');
      const mutedAt = Date.now();
      assert.equal(await text(a, '#mute'), 'Unmute');
      // Silent from some point on: a 600 ms window holds a beep if there is
      // one; two quiet windows in a row, so a passing stall cannot fake it.
      // Bounded: what is in flight drains within seconds.
      const windows = [];
      let quiet = 0;
      await waitFor(async () => {
        const w = await receivedLevel(b, 600);
        windows.push(w);
        quiet = w.max < before.max / 10 ? quiet + 1 : 0;
        return quiet === 2;
      }, { timeoutMs: 8000, intervalMs: 0, what: 'silence at bob after alice\'s mute' })
        .catch((e) => { throw new Error(`${e.message}: windows ${JSON.stringify(windows)}`); });
      t.diagnostic(`bob's received audio (max RMS): ${before.max.toFixed(4)} with alice, then ` +
        `${windows.map((w) => w.max.toFixed(4)).join(', ')} in 600 ms windows after her mute ` +
        `(quiet twice in a row ${Date.now() - mutedAt} ms after it)`);

      // Camera off is a toggle too.
      await a.click('#camera-off');
      assert.equal(await a.getAttribute('#camera-off', 'aria-pressed'), 'true');

      // Layout switch from the client page (no operator key on this server).
      await a.selectOption('#layout', 'speaker');
      await waitFor(async () => (await mcu.api('GET', '/api/rooms/demo')).json.layout === 'speaker',
        { timeoutMs: 5000, what: 'layout speaker' });

      // Bob leaves: he is gone from the room, and his page says so.
      await b.click('#leave');
      assert.equal(await text(b, '#state'), 'left');
      await waitFor(async () => {
        const r = (await mcu.api('GET', '/api/rooms/demo')).json;
        return r.participants.length === 1 && r.participants[0].name === 'alice';
      }, { timeoutMs: 5000, what: 'bob gone from the room' });
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0, 'mcu exits 0 on SIGTERM');
    }
  });

test('console page: operator key, rooms, thumbnail, recording, kick',
  { skip: !haveChromium() && 'Debian chromium not installed', timeout: 60000 }, async (t) => {
    // Joins need a join token here too (join_secret).
    const mcu = await startMcu(['--log_level=info', '--operator_key=k', '--join_secret=s']);
    const op = { headers: { Authorization: 'Bearer k' } };
    const browser = await launchBrowser();
    try {
      // Without the key the console is refused with a Basic challenge (the
      // browser's prompt); the pages of the client are not.
      const bare = await fetch(`${mcu.base}/admin`);
      assert.equal(bare.status, 401);
      assert.match(bare.headers.get('WWW-Authenticate') || '', /^Basic /);
      assert.equal((await fetch(`${mcu.base}/static/admin.js`)).status, 200);

      // Without a token the client is refused in words and asks for one;
      // pasted into the form, or given in the link, the token lets them in.
      const minted = await mcu.api('POST', '/api/rooms/demo/tokens', { body: { ttl_s: 600 }, ...op });
      assert.ok(minted.status === 200 || minted.status === 201, minted.text);
      const token = minted.json.token;
      const c = await openClient(browser, `${mcu.base}/room/demo`);
      await c.click('#join');
      await c.waitForFunction(() => document.getElementById('state').textContent === 'failed', null, { timeout: 10000 });
      assert.match(await text(c, '#error'), /needs a join token/);
      await c.fill('#token', token);
      await joinAs(c, 'carol', 'sd');
      const d = await openClient(browser, `${mcu.base}/room/demo?token=${encodeURIComponent(token)}`);
      await joinAs(d, 'dave', 'ld');
      // The client cannot know the key: switching the layout is refused in words.
      await c.selectOption('#layout', 'speaker');
      await c.waitForFunction(() => /operator key/.test(document.getElementById('error').textContent), null, { timeout: 5000 });
      assert.equal(await c.inputValue('#layout'), 'grid', 'the select goes back');

      const ctx = await browser.newContext({ viewport: VIEWPORT, httpCredentials: { username: 'op', password: 'k' } });
      const con = await ctx.newPage();
      const res = await con.goto(`${mcu.base}/admin`);
      assert.equal(res.status(), 200);
      const card = '.room[data-room="demo"]';
      await con.waitForSelector(`${card} .participant`, { timeout: 10000 });
      assert.equal(await con.locator(`${card} .participant`).count(), 2);

      // The thumbnail: a real JPEG, fetched with the page's own credentials.
      await con.waitForFunction((sel) => document.querySelector(`${sel} img.thumb`).naturalWidth > 0, card, { timeout: 10000 });
      const jpeg = await con.evaluate(async (sel) => {
        const r = await fetch(document.querySelector(`${sel} img.thumb`).src);
        const b = new Uint8Array(await r.arrayBuffer());
        return { status: r.status, type: r.headers.get('Content-Type'), len: b.length,
          head: [b[0], b[1]], tail: [b[b.length - 2], b[b.length - 1]] };
      }, card);
      t.diagnostic(`thumbnail: ${JSON.stringify(jpeg)}`);
      assert.equal(jpeg.status, 200);
      assert.equal(jpeg.type, 'image/jpeg');
      assert.deepEqual(jpeg.head, [0xff, 0xd8], 'JPEG SOI');
      assert.deepEqual(jpeg.tail, [0xff, 0xd9], 'JPEG EOI');
      const src1 = await con.getAttribute(`${card} img.thumb`, 'src');
      await waitFor(async () => (await con.getAttribute(`${card} img.thumb`, 'src')) !== src1,
        { timeoutMs: 5000, what: 'thumbnail refreshed' });

      // Layout from the console (the console has the key).
      await con.selectOption(`${card} select.layout`, 'speaker');
      await waitFor(async () => (await mcu.api('GET', '/api/rooms/demo', op)).json.layout === 'speaker',
        { timeoutMs: 5000, what: 'layout switched by the console' });

      // Record: the toggle starts a recording, which the list then shows.
      await con.check(`${card} input.record`);
      await waitFor(async () => (await mcu.api('GET', '/api/rooms/demo', op)).json.record === true,
        { timeoutMs: 5000, what: 'record on' });
      await con.waitForSelector('#recordings .recording[data-file^="demo-"] a.download', { timeout: 8000 });
      const href = await con.getAttribute('#recordings .recording a.download', 'href');
      assert.match(href, /^\/recordings\/demo-.*\.mp4$/);
      await new Promise((r) => setTimeout(r, 2500)); // let thumbnails and figures settle for the picture
      await screenshot(t, con, 'console', { fullPage: true });

      // Kick dave: gone from the room and from the console.
      const dave = (await mcu.api('GET', '/api/rooms/demo', op))
        .json.participants.find((p) => p.name === 'dave');
      await con.click(`${card} .participant[data-id="${dave.id}"] button.kick`);
      await waitFor(async () => {
        const r = (await mcu.api('GET', '/api/rooms/demo', op)).json;
        return r.participants.length === 1 && r.participants[0].name === 'carol';
      }, { timeoutMs: 5000, what: 'dave kicked' });
      await con.waitForSelector(`${card} .participant[data-id="${dave.id}"]`, { state: 'detached', timeout: 5000 });
      assert.equal(await con.isVisible('#error'), false, `no console error: ${await text(con, '#error')}`);
    } finally {
      await browser.close();
      assert.equal((await mcu.stop()).code, 0, 'mcu exits 0 on SIGTERM');
    }
  });
