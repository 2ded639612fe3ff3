// NamedEvent: a "ready" signal between processes (manual reset) and a work queue bell (auto reset:
// each set() wakes exactly one waiter). Run: node examples/named-event.mjs
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { NamedEvent } from 'interlocked';

const [role, base] = process.argv.slice(2);
const name = base ?? `example-events-${process.pid}`;
const ready = NamedEvent.open(`${name}.ready`); // manual reset: stays set, releases everyone
const bell = NamedEvent.open(`${name}.bell`, { manualReset: false }); // auto reset: one waiter per set()
const ack = NamedEvent.open(`${name}.ack`, { manualReset: false });

if (role === 'worker') {
  ready.set(); // tell the parent we are listening
  let jobs = 0;
  // false: a second with no bell, we are done
  while (await bell.wait({ timeout: 1000 })) {
    jobs++;
    ack.set();
  }
  process.send({ jobs });
} else {
  const workers = [1, 2].map(() => fork(new URL(import.meta.url), ['worker', name]));
  await ready.wait({ timeout: 5000 });
  for (let i = 0; i < 10; i++) {
    bell.set(); // exactly one waiting worker takes it...
    await ack.wait({ timeout: 5000 }); // ...and says so
  }
  const counts = await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0].jobs));
  console.log(`jobs per worker: ${counts.join(' + ')} = ${counts[0] + counts[1]} (expected 10)`);
  if (counts[0] + counts[1] !== 10) process.exitCode = 1;
}
ready.close();
bell.close();
ack.close();
if (role !== 'worker') for (const suffix of ['ready', 'bell', 'ack']) NamedEvent.unlink(`${name}.${suffix}`);
