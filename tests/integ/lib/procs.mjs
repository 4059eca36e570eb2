// procs.mjs - what tests of legacy (plain RTP) endpoints share: free UDP
// ports on loopback, and child processes (ffmpeg) that the test owns and
// ends by their PID.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';

// A free even UDP port on 127.0.0.1 with the next three free too (RTP and
// RTCP for two media), below the server's plain-RTP range and the kernel's
// ephemeral ports: never one the server holds, which it would refuse as a
// destination. Tests that name fixed legacy ports use 20000..29999 too.
export async function freePorts() {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + 4 * Math.floor(Math.random() * 2000);
    const socks = [];
    try {
      for (let i = 0; i < 4; i++) {
        const s = dgram.createSocket('udp4');
        socks.push(s);
        await new Promise((resolve, reject) => { s.once('error', reject); s.bind(base + i, '127.0.0.1', resolve); });
      }
      return base;
    } catch { /* taken: try another */ } finally {
      for (const s of socks) { try { s.close(); } catch { /* not bound */ } }
    }
  }
  throw new Error('no free port block');
}

// Starts a process we own; exited resolves its exit code. The caller ends
// it with proc.kill (by its PID) when done.
export function start(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c) => { err = (err + c).slice(-4000); });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exited, log: () => err };
}
