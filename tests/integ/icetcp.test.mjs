// icetcp.test.mjs - ICE over TCP (RFC 6544): in a network namespace of its
// own whose loopback drops every UDP datagram (an nftables rule), a
// Chromium sender and viewer still join over the server's passive TCP
// candidates, and the viewer receives the composite. The namespace keeps
// the rule away from every other process of the machine; the run inside it
// is tests/integ/lib/udpblocked.mjs, which prints what it saw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveChromium } from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const inner = path.join(here, 'lib/udpblocked.mjs');

// lo up, every UDP datagram sent dropped (and counted), then the run; the
// counter is printed last so the test knows UDP was tried and blocked.
const script = `set -e
ip link set lo up
nft add table inet mcutest
nft add chain inet mcutest out '{ type filter hook output priority 0; }'
nft add rule inet mcutest out meta l4proto udp counter drop
node ${JSON.stringify(inner)}
nft list chain inet mcutest out | sed -n 's/.*counter packets \\([0-9]*\\).*/udp_dropped=\\1/p'
`;

// A namespace of our own where nftables works (root, and a kernel with
// nf_tables); elsewhere the test is skipped, saying why.
function canUnshare() {
  const r = spawnSync('unshare', ['-n', 'nft', 'add', 'table', 'inet', 'probe'], { stdio: 'ignore' });
  return r.status === 0;
}

test('UDP blocked: a browser joins over ICE-TCP and receives the composite', {
  timeout: 90000,
  skip: !haveChromium() ? 'no chromium' : !canUnshare() ? 'cannot make a network namespace with nftables (needs root and nf_tables)' : false,
}, (t) => {
  const r = spawnSync('unshare', ['-n', 'bash', '-c', script], { encoding: 'utf8', timeout: 80000, env: process.env });
  assert.equal(r.status, 0, `namespace run failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const out = JSON.parse(lines.find((l) => l.startsWith('{')));
  const dropped = Number((lines.find((l) => l.startsWith('udp_dropped=')) || 'udp_dropped=0').split('=')[1]);
  assert.equal(out.error, null);
  t.diagnostic(`UDP datagrams dropped: ${dropped}; pairs: ${JSON.stringify(out.pairs)}`);
  assert.ok(dropped > 0, 'the browser or the server tried UDP, and the rule dropped it');
  for (const j of out.joins) {
    assert.equal(j.status, 201);
    assert.equal(j.connected, true);
  }
  for (const pair of out.pairs) {
    assert.ok(pair, 'a selected candidate pair');
    assert.equal(pair.local.protocol, 'tcp');
    assert.equal(pair.remote.protocol, 'tcp');
    assert.equal(pair.remote.tcpType, 'passive');
  }
  for (const p of out.participants) assert.equal(p.stats.ice_transport, 'tcp');
  const sender = out.participants.find((p) => p.name === 'sender');
  assert.ok(sender.stats.video.packets_in > 0 && sender.stats.audio.packets_in > 0, 'the server received media over TCP');
  assert.ok(out.seen.frames > 30, `viewer decoded ${out.seen.frames} frames`);
  assert.equal(out.seen.width, 1280);
  assert.ok(out.seen.colors.red > 0.2, `the composite shows the sender (${out.seen.colors.red})`);
  assert.ok(out.seen.tones[440] > -50, `the viewer hears the sender (${out.seen.tones[440]} dB)`);
  assert.equal(out.exit, 0, 'mcu exits 0 on SIGTERM');
});
