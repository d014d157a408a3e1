/**
 * Asking the operator questions: Deno's built-in `prompt()` on a terminal, or
 * one answer per line from a stream (standard input that is a pipe), so a
 * test or a script can drive the interactive mode.
 *
 * Spec: none. Deno's `prompt()` returns null at once when standard input is
 * not a terminal, which is why piped input needs {@link linePrompter}.
 *
 * Role: the commands take a {@link Prompter}, never call `prompt()`
 * themselves, so tests inject answers. Answers are not secret here (paths,
 * numbers, names); never use these for passwords.
 *
 * @module
 */

/**
 * Asks one question and resolves to the answer (an empty line is an answer), or
 * null when the operator pressed Ctrl-C or the input ended: the caller aborts.
 */
export type Prompter = (question: string) => Promise<string | null>;

/**
 * A prompter on Deno's `prompt()` (for a terminal), which returns null on
 * Ctrl-C (the terminal is in raw mode, so no SIGINT is raised) and on Ctrl-D.
 * The question should not end with a space: `prompt()` adds one.
 *
 * @param ask The prompt function (default: the global `prompt`).
 */
export function denoPrompter(
  ask: (message: string) => string | null = globalThis.prompt,
): Prompter {
  return (question) => Promise.resolve(ask(question));
}

/** A {@link Prompter} reading lines from a stream; release the stream with `close()`. */
export interface LinePrompter extends Prompter {
  /** Stops reading and releases the stream. */
  close(): Promise<void>;
}

/**
 * A prompter that writes each question and reads the answer as the next line
 * of `input` (`\n` or `\r\n`). At the end of the input every answer is null.
 * The answer is echoed after the question, so the transcript reads like a
 * terminal session.
 *
 * @param input The stream, e.g. `Deno.stdin.readable`.
 * @param write Where questions go, e.g. standard output.
 */
export function linePrompter(
  input: ReadableStream<Uint8Array>,
  write: (text: string) => void,
): LinePrompter {
  const reader = input.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let done = false;
  const nextLine = async (): Promise<string | null> => {
    while (!buffer.includes("\n") && !done) {
      const chunk = await reader.read();
      if (chunk.done) done = true;
      else buffer += chunk.value;
    }
    if (buffer === "" && done) return null;
    const end = buffer.indexOf("\n");
    const line = end < 0 ? buffer : buffer.slice(0, end);
    buffer = end < 0 ? "" : buffer.slice(end + 1);
    return line.replace(/\r$/, "");
  };
  const prompter = async (question: string) => {
    write(`${question} `);
    const answer = await nextLine();
    write(answer === null ? "\n" : `${answer}\n`);
    return answer;
  };
  return Object.assign(prompter, {
    close: async () => {
      await reader.cancel().catch(() => {});
      reader.releaseLock();
    },
  });
}
