// quietjoin.mjs - run inside a network namespace of its own that has
// loopback and one more interface standing for the machine's external one
// (tests/integ/noupnp.test.mjs makes it): starts mcu with ICE on 127.0.0.1,
// joins a room over WHIP, waits, and prints one JSON line of what the
// server process holds then: its multicast memberships (/proc/net/igmp and
// igmp6, which in this namespace only mcu can have joined beyond the
// kernel's own), its UDP sockets (ss -uanp) and its threads' names.
// Asserting is the caller's job, outside the namespace.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { startMcu } from './mcu.mjs';
import { webrtcOffer } from './offers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = { status: null, pid: null, igmp: '', igmp6: '', sockets: [], threads: [], exit: null, error: null };
let mcu = null;
try {
  mcu = await startMcu();
  out.pid = mcu.proc.pid;
  const r = await fetch(`${mcu.base}/whip/quiet`, { method: 'POST',
    headers: { 'Content-Type': 'application/sdp' }, body: webrtcOffer() });
  out.status = r.status;
  // UPnP discovery starts with gathering and sends its first M-SEARCH at
  // once; two seconds is ample for it to have joined its group.
  await sleep(2000);
  out.igmp = fs.readFileSync('/proc/net/igmp', 'utf8');
  out.igmp6 = fs.readFileSync('/proc/net/igmp6', 'utf8');
  out.sockets = execFileSync('ss', ['-uanp'], { encoding: 'utf8' }).split('\n')
    .filter((l) => l.includes(`pid=${out.pid},`));
  out.threads = fs.readdirSync(`/proc/${out.pid}/task`)
    .map((t) => fs.readFileSync(`/proc/${out.pid}/task/${t}/comm`, 'utf8').trim());
  out.exit = (await mcu.stop()).code;
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  if (mcu) await mcu.stop().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + '\n');
