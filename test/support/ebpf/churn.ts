// Other processes changing TCP states in process context on every CPU: while one of them runs the
// tracer's state program, a softirq on that CPU (a SYN-ACK, a FIN) finds that program busy, and
// the kernel skips it for the nested state change. The tracer must lose nothing to that.
import { availableParallelism } from 'node:os';
import { spawnProc, type Proc } from '../proc.js';

/** One process: a loopback listener, and connect-then-close on it as fast as it goes. */
const CHURN = `
import net from 'node:net';
const srv = net.createServer((c) => c.destroy()).listen(0, '127.0.0.1', () => {
  const port = srv.address().port;
  const one = () => { const s = net.connect(port, '127.0.0.1', () => s.destroy()); s.on('close', one); s.on('error', () => {}); };
  for (let i = 0; i < 4; i++) one();
  console.log('churning');
});`;

export interface Churn {
  stop(): Promise<void>;
}

/** A churning process per CPU, started once each churns; stop() kills them by pid. */
export async function startChurn(): Promise<Churn> {
  const procs: Proc[] = [];
  const stop = async () => { await Promise.all(procs.map((p) => p.kill('SIGKILL'))); };
  try {
    for (let i = 0; i < availableParallelism(); i++) procs.push(spawnProc(process.execPath, ['--input-type=module', '-e', CHURN]));
    await Promise.all(procs.map((p) => p.waitForLine('churning', 10_000)));
  } catch (e) {
    await stop();
    throw e;
  }
  return { stop };
}
