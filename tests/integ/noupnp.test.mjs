// noupnp.test.mjs - the server's ICE agents do no UPnP: after a WHIP join
// the mcu process has joined no multicast group (SSDP's 239.255.255.250 or
// ff0x::c among them) and holds no socket on port 1900. It runs in a
// network namespace of its own with loopback and a veth pair whose one end
// stands for the external interface (IPv4 and IPv6 addresses), so
// that a UPnP search, were there one, would stay inside the namespace; ICE
// is told to use 127.0.0.1 only. The run inside is lib/quietjoin.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const inner = path.join(here, 'lib/quietjoin.mjs');

const script = `set -e
ip link set lo up
ip link add ext0 type veth peer name ext1
ip link set ext1 up
ip addr add 10.77.0.1/24 dev ext0
ip addr add fd77::1/64 dev ext0 nodad
ip link set ext0 up
node ${JSON.stringify(inner)}
`;

function canUnshare() {
  const r = spawnSync('unshare', ['-n', 'ip', 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1'], { stdio: 'ignore' });
  return r.status === 0;
}

// The groups the kernel joins by itself on an interface that is up:
// all-hosts (224.0.0.1; ff02::1, ff01::1) and IPv6 solicited-node
// (ff02::1:ffXX:XXXX) for its addresses. Anything else was asked for.
function foreignGroups(igmp, igmp6) {
  const groups = [];
  for (const line of igmp.split('\n')) {
    const m = line.match(/^\s+([0-9A-F]{8})\s/); // group lines: hex, host byte order
    if (m && m[1] !== '010000E0') groups.push(`ipv4 ${m[1]}`);
  }
  for (const line of igmp6.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3) continue;
    const g = f[2];
    if (g === 'ff020000000000000000000000000001' || g === 'ff010000000000000000000000000001') continue;
    if (g.startsWith('ff0200000000000000000001ff')) continue;
    groups.push(`ipv6 ${f[1]} ${g}`);
  }
  return groups;
}

test('a WHIP join makes the server join no multicast group and open no SSDP socket', {
  timeout: 40000,
  skip: !canUnshare() ? 'cannot make a network namespace with a veth pair (needs root)' : false,
}, (t) => {
  const r = spawnSync('unshare', ['-n', 'bash', '-c', script], { encoding: 'utf8', timeout: 30000, env: process.env });
  assert.equal(r.status, 0, `namespace run failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').find((l) => l.startsWith('{')));
  assert.equal(out.error, null);
  assert.equal(out.status, 201, 'the WHIP join was answered');
  t.diagnostic(`mcu UDP sockets: ${out.sockets.length}; threads: ${[...new Set(out.threads)].join(' ')}`);
  assert.deepEqual(foreignGroups(out.igmp, out.igmp6), [], 'no multicast membership beyond the kernel\'s own');
  assert.deepEqual(out.sockets.filter((l) => /:1900\s/.test(l)), [], 'no socket on the SSDP port');
  // ICE was told 127.0.0.1: nothing of the server's listens anywhere else.
  assert.ok(out.sockets.length > 0, 'the join made an ICE socket');
  for (const l of out.sockets) assert.match(l.trim().split(/\s+/)[3], /^127\.0\.0\.1:\d+$/, l);
  assert.equal(out.exit, 0, 'mcu exits 0 on SIGTERM');
});
