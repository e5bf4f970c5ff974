// Watches policy files and directories and calls `onChange` when what they
// hold changes — the daemon then reloads (atomically; a broken edit keeps the
// last good set).
//
// Two mechanisms, because neither alone is enough:
//  - fs.watch (recursive) reacts within milliseconds, but misses events on
//    some file systems (network mounts, some container overlays) and reports
//    events for files nobody loads;
//  - a poll of a signature (every policy file's path, size, mtime and inode,
//    following symlinks as the loader does) catches everything, including
//    Kubernetes ConfigMap updates (an atomic swap of the `..data` symlink),
//    at the cost of a directory walk per interval.
// Events are debounced (an editor's save is several events; a copy writes in
// pieces), and the signature decides whether anything the loader reads
// actually changed, so a burst of events causes at most one reload.

import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { discoverPolicyFiles } from '../policy/files.js';

export interface WatchOptions {
  /** Quiet time after the last event before checking (default 100 ms). */
  readonly debounceMs?: number;
  /** Interval of the signature poll (default 1000 ms; 0 disables it). */
  readonly pollMs?: number;
}

export class PolicyWatcher {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private signature = '';
  private checking: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly paths: readonly string[],
    /** Called when the files changed; the watcher waits for it before checking again. */
    private readonly onChange: () => Promise<void>,
    private readonly options: WatchOptions = {},
  ) {}

  /** Records the current state (changes from now on are reported) and starts watching. */
  async start(): Promise<void> {
    this.signature = await signatureOf(this.paths);
    for (const p of this.paths) {
      try {
        const w = watch(p, { recursive: true, persistent: false }, () => this.schedule());
        // A watched directory that disappears errors the watcher: the poll carries on.
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // Not watchable (missing, or recursive watch unsupported here): the poll covers it.
      }
    }
    const pollMs = this.options.pollMs ?? 1000;
    if (pollMs > 0) {
      this.poller = setInterval(() => this.schedule(0), pollMs);
      this.poller.unref();
    }
  }

  private schedule(delay = this.options.debounceMs ?? 100): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check();
    }, delay);
    this.timer.unref();
  }

  /** Compares the signature; one check at a time, and one more if events came in during it. */
  private async check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = (async () => {
      do {
        this.again = false;
        const now = await signatureOf(this.paths);
        if (now !== this.signature && !this.closed) {
          this.signature = now;
          await this.onChange().catch(() => undefined);
        }
      } while (this.again && !this.closed);
    })();
    try {
      await this.checking;
    } finally {
      this.checking = undefined;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    for (const w of this.watchers) w.close();
  }
}

/** What the loader would read, as one string: changes iff a policy file was added, removed or changed. */
async function signatureOf(paths: readonly string[]): Promise<string> {
  const { files } = await discoverPolicyFiles(paths);
  const parts = await Promise.all(
    files.map(async (f) => {
      const s = await stat(f).catch(() => undefined);
      return s ? `${f}\0${s.size}\0${s.mtimeMs}\0${s.ino}` : `${f}\0missing`;
    }),
  );
  return parts.join('\n');
}
