// mcu.mjs - starts the real mcu binary for a test and stops it by its PID.
//
// Every server listens on 127.0.0.1 with an ephemeral port (read back from
// its log) and gathers ICE candidates on 127.0.0.1 only, so no test packet
// leaves loopback.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MCU_BIN = process.env.MCU_BIN || path.join(root, 'build/mcu');
export const CONFIG = path.join(root, 'configs/mcu.conf');

// Starts mcu with the shipped config plus args; resolves once it is ready.
// Recordings go to a fresh temporary directory unless args name one. wrap
// is a command that execs the server in its own process (e.g. prlimit
// with its arguments and '--'), so the PID stays the server's.
export async function startMcu(args = [], { timeoutMs = 15000, wrap = [] } = {}) {
  const recordings = fs.mkdtempSync(path.join(os.tmpdir(), 'mcu-recordings-'));
  const argv = [MCU_BIN, '-c', CONFIG, '--listen=127.0.0.1:0',
    '--ice_addresses=127.0.0.1', '--log_level=debug', `--recordings_dir=${recordings}`, ...args];
  const proc = spawn(wrap.length ? wrap[0] : argv[0], [...wrap.slice(1), ...(wrap.length ? argv : argv.slice(1))],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
    fs.rmSync(recordings, { recursive: true, force: true });
    resolve({ code, signal });
  }));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mcu not ready in ${timeoutMs} ms:\n${log}`)), timeoutMs);
    proc.stderr.on('data', (chunk) => {
      log += chunk.toString();
      const m = log.match(/listening on \S+ \(port (\d+)\)/);
      if (m && log.includes('ready')) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`mcu exited (${code}):\n${log}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    proc, port, base,
    log: () => log,
    // SIGTERM, then wait; resolves to the exit status. SIGKILL after a grace period.
    async stop(graceMs = 10000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
    async api(method, urlPath, { body, headers = {}, raw = false } = {}) {
      const init = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
      }
      const res = await fetch(base + urlPath, init);
      const text = await res.text();
      let json = null;
      if (!raw) { try { json = JSON.parse(text); } catch { /* not JSON */ } }
      return { status: res.status, headers: res.headers, text, json };
    },
  };
}

// Polls fn until it returns a truthy value or timeoutMs passes (then throws
// with the last value seen).
export async function waitFor(fn, { timeoutMs = 15000, intervalMs = 200, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}
