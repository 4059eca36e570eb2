// lib.mjs - what the benchmark driver and the smoke test share: running the
// load generator, reading a process's CPU from /proc, and building it.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';

let clkTck = 0;

// utime + stime of pid in seconds (all its threads), or null when gone.
export function procCpu(pid) {
  if (!clkTck) clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  let text;
  try { text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
  // Fields after the command name (which may hold spaces): state is field 3.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clkTck;
}

// Busy CPU seconds of the whole machine (all CPUs, idle and iowait left out).
export function machineBusy() {
  if (!clkTck) procCpu(process.pid);
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] || 0)) / clkTck;
}

// Runs the load generator with args; resolves its JSON result. Killed by
// its PID after timeoutMs. stderr (progress) goes to onLog.
export function runLoadgen(bin, args, { timeoutMs = 600000, onLog = (s) => process.stderr.write(s) } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.stderr.on('data', (c) => onLog(c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`loadgen ${args.join(' ')}: exit ${code ?? signal}, output ${out.slice(0, 500)}`));
      }
    });
  });
}

// Builds BUILD/bench/loadgen with the project's Makefile (the archives it
// links are made on the way). Returns its path.
export function buildLoadgen(root, build, { san = process.env.SAN || '' } = {}) {
  const env = { ...process.env };
  delete env.MAKEFLAGS; delete env.MAKELEVEL; delete env.MFLAGS;
  execFileSync('make', ['--no-print-directory', '-s', `BUILD=${build}`, `SAN=${san}`, `${build}/bench/loadgen`],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600000 });
  return `${build}/bench/loadgen`;
}
