/**
 * Runs `stop` once on the first SIGTERM (what orchestrators send) or SIGINT
 * (Ctrl-C), then exits 0, or 1 if stopping failed. A second signal exits at once.
 *
 * A process started with an IPC channel (npm start's launcher starts each
 * service so) also stops when that channel closes: the process that started
 * it is gone, killed where it could not pass a signal on (SIGKILL, a crash),
 * and nobody would stop this one or see its output.
 */
export function onShutdownSignal(stop: () => Promise<void>, log: (message: string) => void): void {
  let stopping = false;
  const handle = (reason: string) => {
    if (stopping) {
      log(`${reason} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${reason}: shutting down`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
  if (process.channel) {
    // The channel is only listened to, never a reason to stay alive.
    process.channel.unref();
    // Already stopping (the launcher passed a signal on, then went): let the drain finish. Nothing
    // reads this process's output any more: the logger drops what it can no longer write (lib/logger.ts).
    process.once("disconnect", () => stopping || handle("the process that started this one is gone"));
  }
}
