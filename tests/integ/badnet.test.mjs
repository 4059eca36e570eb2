// badnet.test.mjs - calls ride out a bad network. Each run is in a network
// namespace of its own (loopback, plus a veth address for aiortc, which
// does not gather on loopback), where an nftables chain drops UDP on
// command; the run inside is lib/badnet.mjs, which prints what it saw.
//   - Chromium with the served client: a 10 s UDP blackout, after which it
//     decodes the composite again within 3 s, still the same participant;
//     a 16 s blackout, in which the client restarts ICE (Chromium calls
//     the connection lost after ~15 s) and after which it decodes again;
//     then 60 s of 15% random UDP loss, after which it is still there and
//     has kept decoding.
//   - aiortc: a 6 s blackout, then a 12 s one, after each of which media
//     flows both ways again; then a blackout that does not end, after which
//     the server drops it at media_timeout_s (20 s in that run).
// The two namespaces run at the same time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveChromium } from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const inner = path.join(here, 'lib/badnet.mjs');

const script = (mode) => `set -e
ip link set lo up
ip link add ext0 type veth peer name ext1
ip addr add 10.78.0.1/24 dev ext0
ip link set ext0 up
ip link set ext1 up
nft add table inet mcutest
nft add chain inet mcutest out '{ type filter hook input priority 0; }'
node ${JSON.stringify(inner)} ${mode}
`;

function canUnshare() {
  const r = spawnSync('unshare', ['-n', 'nft', 'add', 'table', 'inet', 'probe'], { stdio: 'ignore' });
  return r.status === 0;
}

const haveAiortc = () => fs.existsSync('/usr/lib/python3/dist-packages/aiortc');

// Runs mode in a namespace; resolves to its JSON line.
function run(mode, timeoutMs) {
  return new Promise((resolve, reject) => {
    const p = spawn('unshare', ['-n', 'bash', '-c', script(mode)], { env: process.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) return reject(new Error(`namespace run ${mode} exited ${code}: ${stderr.slice(-3000)}`));
      resolve(JSON.parse(line));
    });
  });
}

const ids = (ps) => ps.map((p) => p.id);
const noNs = !canUnshare() && 'cannot make a network namespace with nftables (needs root and nf_tables)';

describe('a bad network', { concurrency: true }, () => {
  test('Chromium: 10 s and 16 s UDP blackouts and a minute of 15% loss, without a rejoin', {
    timeout: 170000, skip: !haveChromium() ? 'no chromium' : noNs,
  }, async (t) => {
    const out = await run('browser', 160000);
    assert.equal(out.error, null);
    t.diagnostic(`recovered ${out.recoverMs} ms after the 10 s blackout, ${out.longRecoverMs} ms after the 16 s one; frames per 5 s under loss: ` +
      `${out.loss.join(' ')}; datagrams dropped by the loss rule: ${out.lossDropped}; ` +
      `client ICE states (page ms): ${JSON.stringify(out.end.ice)}; PATCHes: ${JSON.stringify(out.end.patches)}; ` +
      `blackouts (page ms) ${out.blackoutAt}..${out.backAt} and ${out.longAt}..${out.longBackAt}`);
    assert.equal(out.before.participants.length, 1);
    const id = out.before.participants[0].id;
    assert.deepEqual(ids(out.blackout.participants), [id], 'still a participant at the end of the blackout');
    assert.ok(out.recoverMs !== null && out.recoverMs <= 3000,
      `decodes the composite again within 3 s of the network's return (${out.recoverMs} ms)`);
    assert.deepEqual(ids(out.afterBlackout.participants), [id], 'the same participant: no rejoin');
    assert.equal(out.afterBlackout.state, 'connected');
    assert.ok(out.afterLong.patches.some((p) => p.status === 200 && p.candidates > 0),
      'the client restarted ICE in the long blackout, with its new candidates');
    assert.ok(out.longRecoverMs !== null && out.longRecoverMs <= 5000,
      `decodes again within 5 s of the network's return after the long blackout (${out.longRecoverMs} ms)`);
    assert.deepEqual(ids(out.afterLong.participants), [id], 'the same participant after the ICE restart');
    assert.equal(out.afterLong.state, 'connected');
    assert.ok(out.lossDropped > 100, 'the loss rule dropped datagrams');
    const steps = out.loss.map((f, i) => f - (i ? out.loss[i - 1] : out.afterLong.frames));
    assert.ok(steps.every((d) => d > 0), `frames decoded in every 5 s of the loss (${steps.join(' ')})`);
    assert.deepEqual(ids(out.end.participants), [id], 'the same participant after a minute of loss');
    assert.equal(out.end.state, 'connected');
    assert.deepEqual(out.drops, [], 'the server dropped nobody');
    assert.equal(out.exit, 0, 'mcu exits 0 on SIGTERM');
  });

  test('aiortc: 6 s and 12 s UDP blackouts; gone for good, dropped at media_timeout_s', {
    timeout: 90000, skip: !haveAiortc() ? 'python3-aiortc not installed' : noNs,
  }, async (t) => {
    const out = await run('aiortc', 80000);
    assert.equal(out.error, null);
    t.diagnostic(out.blackouts.map((b) => `${b.ms} ms blackout (${b.dropped} datagrams dropped): peer receives ` +
      `again after ${b.recoverMs} ms, server after ${b.serverRecoverMs} ms`).join('; ') +
      `; vanished for good: dropped after ${out.vanishedDropMs} ms`);
    assert.equal(out.before.participants.length, 1);
    const id = out.before.participants[0].id;
    for (const b of out.blackouts) {
      assert.ok(b.dropped > 0, 'the blackout dropped datagrams');
      assert.deepEqual(ids(b.participants), [id], `still a participant after the ${b.ms} ms blackout`);
      assert.ok(b.recoverMs !== null, `the peer receives video again after the ${b.ms} ms blackout`);
      assert.ok(b.serverRecoverMs !== null, `the server receives video from the peer again after the ${b.ms} ms blackout`);
    }
    assert.deepEqual(ids(out.end.participants), [id], 'the same participant');
    // A peer that vanishes for good is still dropped, at media_timeout_s (20 s here).
    assert.ok(out.vanishedDropMs !== null && out.vanishedDropMs >= 18000 && out.vanishedDropMs <= 24000,
      `dropped ${out.vanishedDropMs} ms after it vanished`);
    assert.equal(out.drops.length, 1);
    assert.match(out.drops[0], /dropped: no media or RTCP/);
    assert.equal(out.exit, 0, 'mcu exits 0 on SIGTERM');
  });
});
