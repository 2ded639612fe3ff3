// How busy the machine's CPUs were over a window, from the first line of /proc/stat (Linux; USER_HZ
// ticks, 10 ms each). A workload subtracts its own processes' CPU time (process.cpuUsage() in each
// agent) to tell how much of the machine something else was using while it measured.
import { readFileSync } from 'node:fs';

const TICK_SECONDS = 0.01; // USER_HZ is 100 on every Linux architecture Node supports

// Busy CPU seconds of all CPUs together since boot: every state but idle and iowait (steal counts as
// busy: a hypervisor giving this machine's CPUs to someone else). NaN off Linux.
export function busyCpuSeconds() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) * TICK_SECONDS;
  } catch {
    return NaN;
  }
}
