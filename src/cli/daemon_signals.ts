/**
 * The daemon's signals: SIGTERM and SIGINT stop it, SIGHUP asks for a reload. Installed before
 * the daemon reads its config or waits for anything, so that `systemctl reload` at any moment
 * (while tor starts, during a reload, while stopping) never ends the process.
 *
 * What a reload does depends on the daemon's phase and is set with {@link DaemonSignals.onReload};
 * a SIGHUP that comes before anything is set is remembered and served when something is. Reloads
 * never overlap: SIGHUPs during a reload coalesce into one more reload after it, so the newest
 * file is the one in use.
 *
 * The listeners are never removed. With no listener left, Deno restores a signal's default
 * action, and SIGHUP's default action ends the process (exit 129); they go with the process.
 *
 * @module
 */

/** A reload action; its errors are its own to report. */
export type ReloadAction = () => Promise<void>;

/** The signals of one daemon process. */
export class DaemonSignals {
  /** Aborted by SIGTERM or SIGINT. */
  readonly stop: AbortController = new AbortController();
  #reload: ReloadAction | undefined;
  #requested = false;
  #running: Promise<void> | undefined;

  /** Installs the listeners (see the module comment for why they are never removed). */
  constructor() {
    Deno.addSignalListener("SIGTERM", () => this.stop.abort());
    Deno.addSignalListener("SIGINT", () => this.stop.abort());
    Deno.addSignalListener("SIGHUP", () => this.#onHangup());
  }

  /** Sets what a SIGHUP does from now on; a SIGHUP that came before runs it at once. */
  onReload(action: ReloadAction): void {
    this.#reload = action;
    if (this.#requested) this.#onHangup();
  }

  /** Resolves when no reload is running (the one running now and any it queued). */
  async settled(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  #onHangup(): void {
    this.#requested = true;
    if (this.#reload === undefined || this.#running !== undefined) return;
    this.#requested = false;
    const action = this.#reload;
    this.#running = action().catch(() => {}).finally(() => {
      this.#running = undefined;
      if (this.#requested) this.#onHangup();
    });
  }
}
