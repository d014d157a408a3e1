/**
 * One file of a planned deployment: its path, its content, and whether it is
 * secret.
 *
 * Spec: none.
 *
 * Role: holds a secret file's content so that it never shows in
 * `console.log`, `Deno.inspect` or JSON, and can be wiped once written.
 *
 * @module
 */

const encoder = new TextEncoder();

/** One file of the plan. Its content is hidden from inspection when it holds a secret. */
export class PlannedFile {
  readonly #data: Uint8Array;
  /** Path relative to the output folder, `/`-separated. */
  readonly path: string;
  /** Whether it holds key material. */
  readonly secret: boolean;
  /** Its mode: always 0600 (the whole tree is private). */
  readonly mode = 0o600;

  /**
   * @param path Path relative to the output folder.
   * @param data The content (kept, not copied).
   * @param secret Whether it holds key material.
   */
  constructor(path: string, data: Uint8Array | string, secret: boolean) {
    this.path = path;
    this.#data = typeof data === "string" ? encoder.encode(data) : data;
    this.secret = secret;
  }

  /** A copy of the content. Handle a secret file's copy with care and wipe it after use. */
  bytes(): Uint8Array {
    return this.#data.slice();
  }

  /** The content as text (for the non-secret text files). */
  text(): string {
    return new TextDecoder().decode(this.#data);
  }

  /** Overwrites the content with zeros (call once the plan is written). */
  wipe(): void {
    this.#data.fill(0);
  }

  /** Never show a secret file's content. */
  toJSON(): { path: string; secret: boolean } {
    return { path: this.path, secret: this.secret };
  }

  /** Never show a secret file's content in `Deno.inspect` / `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `PlannedFile(${this.path}${this.secret ? ", <secret>" : ""})`;
  }

  /** Never show a secret file's content in `node:util` `inspect`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `PlannedFile(${this.path}${this.secret ? ", <secret>" : ""})`;
  }
}
