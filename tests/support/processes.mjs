// Starting the project's servers as child processes for Node tests: each binds 127.0.0.1 port 0,
// prints the port it got on a line the caller's pattern matches, and is stopped by its process id.
// Every child started here is killed when the test process exits, also after a failure.
import { spawn } from 'node:child_process';

const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// Resolves with { child, port, log(), exited, stop() } once a line of the output matches `ready`
// (its first capture group is the port); rejects if the process exits first or takes 60 s.
export function startProcess(binary, args, { env = process.env, ready } = {}) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(child);
  let log = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} did not start in 60 s: ${log}`)), 60000);
    let started = false;
    const onData = (chunk) => {
      log += chunk;
      const match = ready.exec(log);
      if (match && !started) {
        started = true;
        clearTimeout(timer);
        resolve({
          child,
          port: Number(match[1]),
          log: () => log,
          exited,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`${binary} exited with ${code} before it was ready: ${log}`));
      }
    });
  });
}
