// locks.request: the Web Locks API, across processes. Two processes append to one log file; an
// exclusive lock keeps their lines from interleaving, a shared lock lets readers in together.
// Run: node examples/locks-request.mjs
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locks } from 'interlocked';

const [role, file] = process.argv.slice(2);
const log = file ?? join(tmpdir(), `interlock-example-${process.pid}.log`);
const name = `example log ${log}`; // any string: names outside [A-Za-z0-9._-] are encoded

async function writeBlock(who) {
  await locks.request(name, async (lock) => {
    // Held until this callback's promise settles, in every process.
    for (let i = 0; i < 3; i++) {
      await appendFile(log, `${who} line ${i} (${lock.mode})\n`);
      await new Promise((r) => setTimeout(r, 2));
    }
  });
}

if (role === 'child') {
  for (let i = 0; i < 5; i++) await writeBlock(`child ${process.pid}`);
} else {
  const child = fork(new URL(import.meta.url), ['child', log]);
  for (let i = 0; i < 5; i++) await writeBlock(`parent ${process.pid}`);
  await once(child, 'exit');
  const lines = await locks.request(name, { mode: 'shared' }, async () =>
    (await readFile(log, 'utf8')).trim().split('\n'),
  );
  // Each block of 3 lines comes from one writer: the lock kept the blocks whole.
  const whole = lines.every((line, i) => line.split(' line ')[0] === lines[i - (i % 3)].split(' line ')[0]);
  const busy = await locks.request(name, { ifAvailable: true }, (lock) => (lock ? 'free' : 'taken'));
  console.log(`${lines.length} lines in ${lines.length / 3} whole blocks: ${whole}; lock now ${busy}`);
  console.log(JSON.stringify(await locks.query()).length > 0 ? 'query() ok' : '');
  await rm(log);
  if (!whole || lines.length !== 30) process.exit(1);
}
