/**
 * The questions of `onionbalance config` in interactive mode: OnionBalance's
 * (`config_generator.py`, same wording and order where they exist) plus those
 * for what OnionBalance 0.2.x does not generate (existing backends, the
 * backends' port, target and folder, the key format, key custody: keep the
 * frontend key offline, encrypt it; client authorization: client keys, and
 * restricted backends when some are generated). Every question has a
 * default, shown in brackets; an empty answer takes it. Ctrl-C or the end of
 * the input at any question aborts with {@link InterruptedError}, before
 * anything is written.
 *
 * Spec: OnionBalance 0.2.2 `onionbalance/config_generator/config_generator.py`
 * (its interactive prompts for v3).
 *
 * Role: asks through an injected {@link Prompter}, checks each answer at once
 * and asks again (at most {@link MAX_TRIES} times) after saying what was wrong.
 * Loads `--key` files through the injected loader; never prints key material.
 *
 * @module
 */

import {
  checkBackendDirPrefix,
  checkEncryptable,
  checkServiceTarget,
  checkTag,
  DEPLOY_DEFAULTS,
  DEPLOY_LIMITS,
  DeployError,
  type DeploymentInputs,
  parseCount,
  parseVirtualPort,
  type ServiceInputs,
} from "../deploy/mod.ts";
import { KeyError, type LoadedIdentityKey } from "../keys/mod.ts";
import { type ConfigFlags, parseBackendAddress, parseKeyFormat } from "./config_flags.ts";
import { InterruptedError, UsageError } from "./exit_codes.ts";
import type { Prompter } from "./prompter.ts";

/** Unusable answers to one question before giving up. */
export const MAX_TRIES = 5;

/** What the questions need: the flags (their defaults), the prompter, and loaders. */
export interface QuestionContext extends ConfigFlags {
  prompter: Prompter;
  /** Where to say what was wrong with an answer. */
  err: (text: string) => void;
  /** Loads a frontend key file. */
  loadKey: (path: string) => Promise<LoadedIdentityKey>;
  /** Refuses an output folder that already holds a `config.yaml` (unless `--force`). */
  checkOutput: (path: string) => Promise<void>;
  /** The output folder shown as the default (absolute when known). */
  output: string;
}

/** The answers: the generator's inputs, the output folder, and the key custody choices. */
export interface Answers {
  output: string;
  inputs: DeploymentInputs;
  /** Keep the frontend keys offline (the command adds the span from the flags). */
  offline: boolean;
  /** Encrypt the frontend keys (the command asks for the passphrase). */
  encrypt: boolean;
}

/**
 * Parses a yes/no answer.
 *
 * @throws {UsageError} Unless `y`, `yes`, `n` or `no` (any case).
 */
export function parseYesNo(text: string): boolean {
  const answer = text.trim().toLowerCase();
  if (answer === "y" || answer === "yes") return true;
  if (answer === "n" || answer === "no") return false;
  throw new UsageError(`Cannot use answer "${text}": expected "yes" or "no"`);
}

function yesNo(value: boolean): string {
  return value ? "yes" : "no";
}

/**
 * Asks one question until the answer parses; an empty answer gives `fallback`.
 * No answer (Ctrl-C, end of input) throws {@link InterruptedError}.
 */
async function ask<T>(
  context: QuestionContext,
  question: string,
  parse: (answer: string) => T | Promise<T>,
  fallback: () => T | Promise<T>,
): Promise<T> {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const answer = (await context.prompter(question))?.trim();
    if (answer === undefined) throw new InterruptedError();
    try {
      return answer === "" ? await fallback() : await parse(answer);
    } catch (error) {
      if (
        !(error instanceof DeployError || error instanceof KeyError || error instanceof UsageError)
      ) {
        throw error;
      }
      context.err(`${error.message}\n`);
    }
  }
  throw new UsageError(`Cannot go on: ${MAX_TRIES} unusable answers to "${question}"`);
}

async function askService(
  context: QuestionContext,
  i: number,
): Promise<ServiceInputs> {
  const keyPath = context.keys[i - 1];
  const keyDefault = keyPath === undefined
    ? "Leave empty to generate a key"
    : `default: ${keyPath}`;
  const key = await ask<LoadedIdentityKey | undefined>(
    context,
    `Service #${i}: Enter path to master service private key (i.e. path to 'hs_ed25519_secret_key', or a PEM key) (${keyDefault}):`,
    (path) => context.loadKey(path),
    () => keyPath === undefined ? undefined : context.loadKey(keyPath),
  );
  const given = context.instances[i - 1] ?? [];
  const shown = given.length === 0 ? "Leave empty for none" : `default: ${given.length} given`;
  const instances = await ask(
    context,
    `Service #${i}: Onion addresses of existing backends to add, separated by spaces (${shown}):`,
    (text) => text.split(/[\s,]+/).filter((a) => a !== "").map(parseBackendAddress),
    () => given,
  );
  const min = instances.length > 0 ? 0 : 1;
  const preset = context.backends ?? (instances.length > 0 ? 0 : DEPLOY_DEFAULTS.backends);
  const backends = await ask(
    context,
    `Service #${i}: Number of instance services to create (default: ${preset}):`,
    (text) => parseCount(text, { what: "number of instances", min, max: DEPLOY_LIMITS.backends }),
    () =>
      parseCount(String(preset), {
        what: "number of instances (-n)",
        min,
        max: DEPLOY_LIMITS.backends,
      }),
  );
  const tag = await ask(
    context,
    `Service #${i}: Provide a tag name to group these instances [${context.tag}]:`,
    checkTag,
    () => context.tag,
  );
  return { ...(key === undefined ? {} : { key }), backends, tag, instances };
}

/**
 * Asks every question and returns the generator's inputs.
 *
 * @param context The prompter, the defaults from the flags, and the loaders.
 * @returns The output folder and the inputs.
 * @throws {InterruptedError} On Ctrl-C or the end of the input, at any question.
 * @throws {UsageError} When an answer stays unusable.
 */
export async function askQuestions(context: QuestionContext): Promise<Answers> {
  const output = await ask(
    context,
    `Enter path to store generated config [${context.output}]:`,
    async (path) => (await context.checkOutput(path), path),
    async () => (await context.checkOutput(context.output), context.output),
  );
  const count = await ask(
    context,
    `Number of services (frontends) to create (default: ${context.services}):`,
    (text) => parseCount(text, { what: "number of services", max: DEPLOY_LIMITS.services }),
    () => context.services,
  );
  const services: ServiceInputs[] = [];
  for (let i = 1; i <= count; i++) services.push(await askService(context, i));
  const generated = services.some((s) => s.backends > 0);
  const virtualPort = await ask(
    context,
    `Specify the service virtual port (for client connections) [${context.virtualPort}]:`,
    parseVirtualPort,
    () => context.virtualPort,
  );
  const offline = await ask(
    context,
    "Keep the frontend key offline (its identity key for an isolated machine, a key bundle to " +
      `renew for the balancer)? [${yesNo(context.offline)}]:`,
    parseYesNo,
    () => context.offline,
  );
  const encryptable = (yes: boolean) => {
    if (yes) checkEncryptable(services);
    return yes;
  };
  const encrypt = await ask(
    context,
    `Encrypt the frontend key with a passphrase (asked next, not shown)? [${
      yesNo(context.encrypt)
    }]:`,
    (text) => encryptable(parseYesNo(text)),
    () => encryptable(context.encrypt),
  );
  const inputs: DeploymentInputs = {
    services,
    virtualPort,
    keyFormat: encrypt ? "pem" : context.keyFormat,
  };
  if (!encrypt && services.some((s) => s.key === undefined)) {
    inputs.keyFormat = await ask(
      context,
      `Format of new frontend keys, "tor" (hs_ed25519_secret_key) or "pem" (PKCS#8) [${context.keyFormat}]:`,
      parseKeyFormat,
      () => context.keyFormat,
    );
  }
  const clients = await ask(
    context,
    `How many client keys (restricted discovery, 0 for a public service)? [${context.clients}]:`,
    (text) =>
      parseCount(text, { what: "number of client keys", min: 0, max: DEPLOY_LIMITS.clients }),
    () => context.clients,
  );
  if (clients > 0) inputs.clients = clients;
  if (!generated) return { output, inputs, offline, encrypt };
  const target = context.target ?? `127.0.0.1:${virtualPort}`;
  inputs.target = await ask(
    context,
    `Specify the service target IP and port (where your service is listening) [${target}]:`,
    checkServiceTarget,
    () => target,
  );
  inputs.backendDirPrefix = await ask(
    context,
    `Folder of each backend's HiddenServiceDir on its machine [${context.backendDirPrefix}]:`,
    checkBackendDirPrefix,
    () => context.backendDirPrefix,
  );
  const restrict = await ask(
    context,
    `Restrict the backends to the balancer's key? [${yesNo(context.restrictBackends)}]:`,
    parseYesNo,
    () => context.restrictBackends,
  );
  if (restrict) inputs.restrictBackends = true;
  return { output, inputs, offline, encrypt };
}
