// The bench's handle on bench/receiver.ts, which runs in a process of its own so that its work is not
// counted as the shipper's (it still shares the machine's cores, as a real server on the box would).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ReceiverCommand, ReceiverMessage, ReceiverStats } from './receiver.ts';

export class ReceiverProcess {
  private readonly waiting = new Map<'stats' | 'reached', ((s: ReceiverStats) => void)[]>([['stats', []], ['reached', []]]);

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (m: ReceiverMessage) => {
      if (m.type !== 'ready') this.waiting.get(m.type)!.shift()?.(m.stats);
    });
  }

  static async start(): Promise<ReceiverProcess> {
    const child = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [ready] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [ReceiverMessage | undefined];
    if (ready?.type !== 'ready') throw new Error('the bench receiver did not start');
    return new ReceiverProcess(child, ready.port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Down: every POST /logs is answered 503 with Retry-After: 1. */
  setDown(down: boolean): void {
    this.command({ type: 'mode', down });
  }

  stats(): Promise<ReceiverStats> {
    return this.ask('stats', { type: 'stats' });
  }

  /** Resolves once the receiver has counted `events` in all (one wait at a time). */
  reached(events: number): Promise<ReceiverStats> {
    return this.ask('reached', { type: 'wait', events });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.disconnect();
    await exited;
  }

  private ask(reply: 'stats' | 'reached', c: ReceiverCommand): Promise<ReceiverStats> {
    return new Promise((resolve) => {
      this.waiting.get(reply)!.push(resolve);
      this.command(c);
    });
  }

  private command(c: ReceiverCommand): void {
    this.child.send(c);
  }
}
