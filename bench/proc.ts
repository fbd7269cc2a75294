// Reading another process's memory and CPU from /proc (Linux), and sampling its RSS on a timer.
// VmRSS is the resident set now; VmHWM is the kernel's own high-water mark of VmRSS since the
// process started, so it catches peaks between two samples (proc(5)).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcMemory {
  rssBytes: number;
  hwmBytes: number;
  /** VmRSS = RssAnon (heap, malloc, JIT) + RssFile (mapped files: code, libraries, SQLite's -shm) + RssShmem. */
  rssAnonBytes: number;
  rssFileBytes: number;
  rssShmemBytes: number;
}

export function readMemory(pid: number): ProcMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // the process is gone
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM'), rssAnonBytes: kib('RssAnon'), rssFileBytes: kib('RssFile'), rssShmemBytes: kib('RssShmem') };
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's CPU counters (getconf CLK_TCK; 100 on Linux in practice). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds the process has used so far (fields 14 and 15 of /proc/<pid>/stat). */
export function readCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is parenthesised and may contain spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

export interface RssSampler {
  /** Stops sampling; returns the largest VmRSS seen and the number of samples. */
  stop(): { peakRssBytes: number; samples: number; lastRssBytes: number };
}

/** Samples VmRSS of `pid` every `intervalMs` (pid = process.pid samples this process). */
export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  let peak = 0;
  let last = 0;
  let samples = 0;
  const take = () => {
    const memory = readMemory(pid);
    if (!memory || Number.isNaN(memory.rssBytes)) return;
    samples++;
    last = memory.rssBytes;
    if (last > peak) peak = last;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakRssBytes: peak, samples, lastRssBytes: last };
    },
  };
}

/** Busy and total CPU seconds of the whole machine, all cores (first line of /proc/stat); compare two reads. */
export function readMachineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number); // user … steal (guest time is inside user)
  const total = values.reduce((s, v) => s + v, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / clockTicks(), total: total / clockTicks() };
}

/** Share of the machine's CPU busy over `ms` (a check that nothing else is loading it). */
export async function machineBusyOver(ms: number): Promise<number> {
  const a = readMachineCpu();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = readMachineCpu();
  return (b.busy - a.busy) / Math.max(1e-9, b.total - a.total);
}

/** CPU seconds used so far by each of `pids` that still exists. */
export function readCpuSecondsOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const cpu = readCpuSeconds(pid);
    if (cpu !== undefined) out.set(pid, cpu);
  }
  return out;
}

export interface CpuAccount {
  /** CPU seconds of the gateway process. */
  gatewaySeconds: number;
  /** CPU seconds of this process (load generator, mock departments). */
  benchSeconds: number;
  /** CPU seconds of the PostgreSQL server processes, or null when not read. */
  postgresSeconds: number | null;
  /** Share of all cores busy over the window. */
  machineBusy: number;
  /** Busy CPU seconds of the machine not accounted for above: other load (≈ 0 on a quiet machine). */
  otherSeconds: number;
}

/**
 * Starts accounting for the CPU of a measured window: the gateway process, this process, the
 * PostgreSQL server's processes (when `postgresPids` is given: a local server) and the machine.
 */
export async function startCpuAccount(gatewayPid: number, postgresPids?: () => Promise<number[]>): Promise<{ stop(): Promise<CpuAccount> }> {
  const gatewayBefore = readCpuSeconds(gatewayPid) ?? NaN;
  const benchBefore = process.cpuUsage();
  const machineBefore = readMachineCpu();
  const postgresBefore = postgresPids ? readCpuSecondsOf(await postgresPids()) : undefined;
  return {
    async stop() {
      const gatewaySeconds = (readCpuSeconds(gatewayPid) ?? NaN) - gatewayBefore;
      const bench = process.cpuUsage(benchBefore);
      const benchSeconds = (bench.user + bench.system) / 1e6;
      const machineAfter = readMachineCpu();
      let postgresSeconds: number | null = null;
      if (postgresPids && postgresBefore) {
        // A backend that started in the window counts from zero; one that ended is lost (pools keep theirs).
        postgresSeconds = 0;
        for (const [pid, cpu] of readCpuSecondsOf(await postgresPids())) postgresSeconds += cpu - (postgresBefore.get(pid) ?? 0);
      }
      const busy = machineAfter.busy - machineBefore.busy;
      const r = (x: number) => Math.round(x * 1000) / 1000;
      return {
        gatewaySeconds: r(gatewaySeconds),
        benchSeconds: r(benchSeconds),
        postgresSeconds: postgresSeconds === null ? null : r(postgresSeconds),
        machineBusy: r(busy / Math.max(1e-9, machineAfter.total - machineBefore.total)),
        otherSeconds: r(busy - gatewaySeconds - benchSeconds - (postgresSeconds ?? 0)),
      };
    },
  };
}
