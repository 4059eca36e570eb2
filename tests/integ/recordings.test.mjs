// recordings.test.mjs - the recordings part of API.md section 2 against the
// real server, on a directory of fake recordings written here (random bytes
// and a sidecar; no room records): the list, whole and ranged downloads,
// 416, HEAD, DELETE, paths that try to leave the directory (sent raw with
// node's http.request, so nothing normalises them) and the operator key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMcu } from './lib/mcu.mjs';

const REC = 'lobby-20261123T071500Z.mp4';
const OLDER = 'lobby-20261122T071500Z.mp4';
const EVIL = 'evil-20261123T071500Z.mp4'; // a symlink out of the directory
const SECRET = 'SECRET-OUTSIDE-THE-RECORDINGS-DIRECTORY';

let dir, outside, data;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-rec-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-out-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

// A fresh directory content: REC (1000 random bytes + sidecar), OLDER
// (no sidecar), the symlink, and a secret outside.
function populate() {
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
  data = crypto.randomBytes(1000);
  fs.writeFileSync(path.join(dir, REC), data);
  fs.writeFileSync(path.join(dir, `${REC}.json`), JSON.stringify({
    room: 'lobby', file: REC, started: '2026-11-23T07:15:00Z', ended: '2026-11-23T07:15:12Z',
    state: 'done', duration_s: 12.5, bytes: 1000,
    participants: [{ id: '0123456789abcdef', name: 'alice', joined: '2026-11-23T07:15:00Z' }],
  }));
  fs.writeFileSync(path.join(dir, OLDER), Buffer.from('older'));
  fs.writeFileSync(path.join(outside, 'secret'), SECRET);
  fs.symlinkSync(path.join(outside, 'secret'), path.join(dir, EVIL));
}

// One request with the path exactly as given; resolves with the body as a Buffer.
function raw(port, method, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('recordings: list, whole and ranged downloads, 416, HEAD, DELETE', { timeout: 30000 }, async () => {
  populate();
  const mcu = await startMcu([`--recordings_dir=${dir}`]);
  try {
    let r = await mcu.api('GET', '/api/recordings');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.recordings.map((x) => x.file), [REC, OLDER], 'newest first, only recordings');
    const rec = r.json.recordings[0];
    assert.deepEqual(rec, { file: REC, room: 'lobby', started: '2026-11-23T07:15:00Z', duration_s: 12.5,
      bytes: 1000, state: 'done' });
    assert.equal(r.json.recordings[1].bytes, 5);
    assert.equal(r.json.recordings[1].state, 'done', 'no sidecar: done');
    assert.equal(r.json.recordings[1].started, '2026-11-22T07:15:00Z', 'no sidecar: time from the name');

    r = await raw(mcu.port, 'GET', `/recordings/${REC}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'video/mp4');
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers['content-length'], '1000');
    assert.ok(r.body.equals(data), 'the whole file');

    r = await raw(mcu.port, 'GET', `/recordings/${REC}`, { Range: 'bytes=100-199' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], 'bytes 100-199/1000');
    assert.equal(r.headers['content-length'], '100');
    assert.ok(r.body.equals(data.subarray(100, 200)), 'exactly bytes 100..199');

    r = await raw(mcu.port, 'GET', `/recordings/${REC}`, { Range: 'bytes=-10' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], 'bytes 990-999/1000');
    assert.ok(r.body.equals(data.subarray(990)), 'the last 10 bytes');

    r = await raw(mcu.port, 'GET', `/recordings/${REC}`, { Range: 'bytes=995-5000' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], 'bytes 995-999/1000');
    assert.ok(r.body.equals(data.subarray(995)));

    r = await raw(mcu.port, 'GET', `/recordings/${REC}`, { Range: 'bytes=5000-' });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], 'bytes */1000');
    assert.equal(JSON.parse(r.body).error, 'range_not_satisfiable');

    r = await raw(mcu.port, 'GET', `/recordings/${REC}`, { Range: 'bytes=0-1,5-6' });
    assert.equal(r.status, 200, 'several ranges: the whole file');
    assert.ok(r.body.equals(data));

    r = await raw(mcu.port, 'HEAD', `/recordings/${REC}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '1000');
    assert.equal(r.body.length, 0);

    r = await mcu.api('GET', `/api/recordings/${REC}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.bytes, 1000);

    assert.equal((await raw(mcu.port, 'DELETE', `/recordings/${REC}`)).status, 405);
    assert.equal((await raw(mcu.port, 'POST', '/api/recordings')).status, 405);

    r = await mcu.api('DELETE', `/api/recordings/${REC}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {});
    assert.equal(fs.existsSync(path.join(dir, REC)), false, 'the file is gone');
    assert.equal(fs.existsSync(path.join(dir, `${REC}.json`)), false, 'and its sidecar');
    assert.equal((await mcu.api('DELETE', `/api/recordings/${REC}`)).status, 404);
    r = await raw(mcu.port, 'GET', `/recordings/${REC}`);
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).error, 'recording_not_found');
    r = await mcu.api('GET', '/api/recordings');
    assert.deepEqual(r.json.recordings.map((x) => x.file), [OLDER]);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('recordings: no path leaves the directory', { timeout: 30000 }, async () => {
  populate();
  const mcu = await startMcu([`--recordings_dir=${dir}`]);
  const secretRel = path.relative(dir, path.join(outside, 'secret'));
  const enc = (s) => s.replace(/\./g, '%2e').replace(/\//g, '%2f');
  const paths = [
    '/recordings/..', '/recordings/../etc/passwd', '/recordings/%2e%2e%2fx',
    '/recordings/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/recordings/..%2f..%2f..%2fetc%2fpasswd',
    '/recordings/a/b.mp4', '/recordings/x.mp4%00.json', `/recordings/${REC}%00.json`,
    `/recordings/${REC}%00`, `/recordings/${EVIL}`, `/recordings/${REC}.json`,
    '/recordings/%2fetc%2fpasswd', '/recordings//etc/passwd', `/recordings/${secretRel}`,
    `/recordings/${enc(secretRel)}`, `/recordings/./${REC}`, `/recordings/.%2f${REC}`,
    `/api/recordings/..%2f${REC}`, `/api/recordings/${enc(secretRel)}`, `/api/recordings/${EVIL}`,
    '/recordings/%5c..%5c..%5cetc%5cpasswd', '/recordings/%252e%252e%252fetc%252fpasswd',
  ];
  try {
    for (const p of paths) {
      for (const method of ['GET', 'HEAD']) {
        const r = await raw(mcu.port, method, p);
        assert.ok(r.status === 404 || r.status === 400, `${method} ${p}: ${r.status}`);
        const text = r.body.toString('latin1');
        assert.ok(!text.includes(SECRET) && !text.includes('root:'), `${method} ${p} leaked a file`);
        assert.ok(!r.body.includes(data.subarray(0, 16)), `${method} ${p} served the recording`);
      }
      const d = await raw(mcu.port, 'DELETE', p);
      assert.ok([400, 404, 405].includes(d.status), `DELETE ${p}: ${d.status}`);
    }
    assert.equal(fs.readFileSync(path.join(outside, 'secret'), 'utf8'), SECRET, 'the outside file stays');
    assert.ok(fs.lstatSync(path.join(dir, EVIL)).isSymbolicLink(), 'the symlink stays');
    assert.ok(fs.existsSync(path.join(dir, REC)) && fs.existsSync(path.join(dir, `${REC}.json`)));
    const r = await mcu.api('GET', '/api/recordings');
    assert.deepEqual(r.json.recordings.map((x) => x.file), [REC, OLDER], 'the symlink is not listed');
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});

test('recordings: the operator key guards the list, the files and DELETE', { timeout: 30000 }, async () => {
  populate();
  const mcu = await startMcu([`--recordings_dir=${dir}`, '--operator_key=k']);
  const auth = { Authorization: 'Bearer k' };
  try {
    for (const [method, p] of [['GET', '/api/recordings'], ['GET', '/recordings/x.mp4'],
      ['GET', `/recordings/${REC}`], ['HEAD', `/recordings/${REC}`],
      ['DELETE', `/api/recordings/${REC}`], ['GET', `/api/recordings/${REC}`]]) {
      for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: 'k' }]) {
        const r = await raw(mcu.port, method, p, headers);
        assert.equal(r.status, 401, `${method} ${p} with ${JSON.stringify(headers)}`);
        assert.ok(!r.body.includes(data.subarray(0, 16)));
      }
    }
    assert.ok(fs.existsSync(path.join(dir, REC)), 'an unauthorised DELETE deleted nothing');

    let r = await raw(mcu.port, 'GET', '/api/recordings', auth);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).recordings[0].bytes, 1000);
    r = await raw(mcu.port, 'GET', `/recordings/${REC}`, { ...auth, Range: 'bytes=0-9' });
    assert.equal(r.status, 206);
    assert.ok(r.body.equals(data.subarray(0, 10)));
    r = await raw(mcu.port, 'DELETE', `/api/recordings/${REC}`, auth);
    assert.equal(r.status, 200);
    assert.equal(fs.existsSync(path.join(dir, REC)), false);
    assert.equal((await raw(mcu.port, 'GET', `/recordings/${REC}`, auth)).status, 404);
  } finally {
    assert.equal((await mcu.stop()).code, 0);
  }
});
