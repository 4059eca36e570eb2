// diskfull.test.mjs - the recordings listing tells the truth on disk.
// A recording that fills its disk (recordings_dir on a 2 MiB tmpfs, most of
// it taken by a filler file) is "failed" while the room lives, after the
// room ends, in its recording.finished event, and after a server restart on
// the same directory; never "done". A recording cut short by SIGKILL is
// "incomplete" after the restart, and still downloads whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startMcu, waitFor } from './lib/mcu.mjs';
import { launchBrowser, haveChromium, whipPublish } from './lib/browser.mjs';

const SKIP = !haveChromium() && 'needs Debian chromium';
const TMPFS = 2 << 20;
const FREE = 192 << 10; // what the filler leaves: a few seconds of the hd recording

const listing = async (mcu) => (await mcu.api('GET', '/api/recordings')).json.recordings;

// A receiver of webhook events (unsigned: no secret), on loopback.
async function receiver() {
  const events = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { try { events.push(JSON.parse(body)); } catch { /* ignored */ } res.writeHead(204).end(); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    events, port: server.address().port,
    close: () => { server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)); },
  };
}

async function publish(browser, mcu, room) {
  const page = await browser.newPage();
  await page.goto(`${mcu.base}/api/health`);
  const r = await whipPublish(page, `/whip/${room}`);
  assert.equal(r.status, 201, r.answer);
  assert.ok(r.connected, 'the publisher connected');
  return page;
}

test('a recording that fills the disk is failed, after the room ends and after a restart',
  { skip: SKIP, timeout: 60000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-diskfull-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS}`, 'tmpfs', dir]);
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      t.skip(`cannot mount a tmpfs here (needs root): ${e.message}`);
      return;
    }
    let mcu = null, browser = null, rx = null;
    try {
      fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(TMPFS - FREE, 0x5a));
      rx = await receiver();
      mcu = await startMcu([`--recordings_dir=${dir}`, '--record=true',
        `--webhook_url=http://127.0.0.1:${rx.port}/events`, '--webhook_retry_ms=100']);
      browser = await launchBrowser();
      await publish(browser, mcu, 'full');
      const failed = await waitFor(async () => (await listing(mcu)).find((r) => r.state === 'failed'),
        { timeoutMs: 30000, intervalMs: 250, what: 'the recording failed on the full disk' });
      t.diagnostic(`failed after ${failed.bytes} B`);
      assert.ok(mcu.log().includes('failed'), 'the failure is logged');

      // The room ends: no recorder is left to ask, the sidecar alone tells.
      assert.equal((await mcu.api('DELETE', '/api/rooms/full')).status, 200);
      const ended = (await listing(mcu)).find((r) => r.file === failed.file);
      assert.equal(ended.state, 'failed', JSON.stringify(ended));
      const fin = await waitFor(() => rx.events.find((e) => e.type === 'recording.finished'),
        { what: 'recording.finished' });
      assert.equal(fin.data.state, 'failed');
      // Told after the recorder's last sidecar write.
      const side = JSON.parse(fs.readFileSync(path.join(dir, `${failed.file}.json`), 'utf8'));
      assert.equal(side.state, 'failed', 'the sidecar on the full disk says so');
      assert.ok(side.ended, 'with its end');
      t.diagnostic(`sidecar: ${side.participants ? 'whole' : 'brief form, written in place'}`);

      await browser.close();
      browser = null;
      assert.equal((await mcu.stop()).code, 0);
      mcu = await startMcu([`--recordings_dir=${dir}`]);
      const after = await listing(mcu);
      assert.equal(after.length, 1, JSON.stringify(after));
      assert.equal(after[0].file, failed.file);
      assert.equal(after[0].state, 'failed', 'still failed after a restart');
      const one = await mcu.api('GET', `/api/recordings/${failed.file}`);
      assert.equal(one.json.state, 'failed');
    } finally {
      if (browser) await browser.close();
      if (mcu) await mcu.stop();
      if (rx) await rx.close();
      try { execFileSync('umount', [dir]); } catch { /* not mounted */ }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('a recording cut short by SIGKILL is incomplete after a restart, and downloads whole',
  { skip: SKIP, timeout: 60000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-killed-'));
    let mcu = null, browser = null;
    try {
      mcu = await startMcu([`--recordings_dir=${dir}`, '--record=true']);
      browser = await launchBrowser();
      await publish(browser, mcu, 'crash');
      // Wait for a sidecar rewrite (every 2 s) that counts written fragments.
      const file = await waitFor(() => {
        const name = fs.readdirSync(dir).find((f) => f.endsWith('.mp4'));
        if (!name || !fs.existsSync(path.join(dir, `${name}.json`))) return null;
        const side = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
        return side.bytes > 20000 && name;
      }, { timeoutMs: 20000, what: 'a sidecar with media' });
      mcu.proc.kill('SIGKILL');
      await mcu.stop();
      await browser.close();
      browser = null;

      const side = JSON.parse(fs.readFileSync(path.join(dir, `${file}.json`), 'utf8'));
      assert.equal(side.state, 'recording', 'the sidecar was left saying recording');
      mcu = await startMcu([`--recordings_dir=${dir}`]);
      const list = await listing(mcu);
      assert.equal(list.length, 1, JSON.stringify(list));
      assert.equal(list[0].state, 'incomplete');
      const size = fs.statSync(path.join(dir, file)).size;
      assert.equal(list[0].bytes, size);
      const res = await fetch(`${mcu.base}/recordings/${file}`);
      assert.equal(res.status, 200);
      assert.equal(Buffer.from(await res.arrayBuffer()).length, size, 'the file downloads whole');
      t.diagnostic(`${file}: ${size} B, ${list[0].duration_s} s, ${list[0].state}`);
      // No live recorder holds it: it may be deleted.
      assert.equal((await mcu.api('DELETE', `/api/recordings/${file}`)).status, 200);
    } finally {
      if (browser) await browser.close();
      if (mcu) await mcu.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
