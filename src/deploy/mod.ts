/**
 * The deployment generator behind `onionbalance config`: keys, `config.yaml`,
 * the frontend torrc, and per backend its tor key files, `hostname`,
 * `ob_config` and torrc, so that an operator copies folders to machines and
 * starts tor. OnionBalance 0.1 generated all of this; 0.2.x only writes a
 * frontend key and a `config.yaml` of placeholders.
 *
 * Spec: rend-spec-v3 [ONIONADDRESS] (addresses); tor `hs_service.c:
 * load_service_keys()` (the `hs_ed25519_*` key files), `hs_ob.c`
 * (`HiddenServiceOnionbalanceInstance`, `ob_config`); OnionBalance's generator
 * `onionbalance/config_generator/config_generator.py`; docs/onionbalance-differences.md.
 *
 * Role: {@link planDeployment} is pure (inputs + rng → files in memory);
 * {@link writeDeployment} is the only I/O (atomic 0600 files in 0700 folders,
 * nothing replaced without `force`). The tree (see `layout.ts`):
 *
 * ```
 * <output>/README.md  config.yaml  <frontend>.key  torrc-frontend
 * <output>/<tag><n>/torrc
 * <output>/<tag><n>/hidden_service/{hs_ed25519_secret_key, hs_ed25519_public_key, hostname, ob_config}
 * ```
 *
 * With `offline` (rend-spec-v3 §1.7), the identity key goes to
 * `<output>/offline/<frontend>.key` (for the isolated machine) and the
 * balancer gets `<output>/<frontend>.keys`, an offline key bundle that
 * config.yaml names with `offline-keys:`. With a `passphrase`, frontend keys
 * and bundles are encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`); backend keys
 * never are (tor cannot read them).
 *
 * With `clients` (rend-spec-v3 [CLIENT-AUTH], "restricted discovery"), each
 * service gets that many x25519 client keys: their public keys in
 * `<output>/<frontend>.authorized_clients/<client>.auth` for the balancer
 * (`authorized-clients-dir:`), each secret in `<output>/clients/<client>/`
 * for one person's `ClientOnionAuthDir`. With `restrictBackends`, each
 * generated backend serves only a balancer key of its service
 * (`<tag><n>/hidden_service/authorized_clients/balancer.auth`), which the
 * balancer holds in `<output>/backend-keys/<backend>.auth_private`
 * (`client-key:`). Neither is ever encrypted: tor reads them as they are.
 *
 * @example
 * ```ts
 * import { planDeployment, wipePlan } from "./mod.ts";
 * import { seededRng } from "../crypto/mod.ts";
 * const plan = planDeployment(
 *   { services: [{ backends: 2, tag: "node" }], target: "127.0.0.1:8080" },
 *   { rng: seededRng("example") },
 * );
 * plan.files.map((f) => f.path).includes("node1/hidden_service/ob_config"); // true
 * // await writeDeployment("/tmp/deployment", plan); then:
 * wipePlan(plan);
 * ```
 *
 * @module
 */

export { DeployError, type DeployErrorKind, type DeployErrorOptions } from "./errors.ts";
export {
  checkBackendDirPrefix,
  checkEncryptable,
  checkServiceTarget,
  checkTag,
  DEPLOY_DEFAULTS,
  DEPLOY_LIMITS,
  type DeploymentInputs,
  type KeyFormat,
  type OfflineInputs,
  offlineInputs,
  type OfflineSpan,
  parseCount,
  type ParseCountOptions,
  parseVirtualPort,
  type ServiceInputs,
} from "./inputs.ts";
export {
  authorizedClientsDirName,
  type BackendSettings,
  bundleFileName,
  clientKeyFileName,
  keyFileName,
  LAYOUT,
  type PlannedBackend,
  type PlannedBundle,
  type PlannedClients,
  type PlannedService,
} from "./layout.ts";
export {
  type DeploymentPlan,
  planDeployment,
  PlannedFile,
  type PlanOptions,
  wipePlan,
} from "./plan.ts";
export { backendTorrc, type BackendTorrcOptions, frontendTorrc, obConfig } from "./torrc.ts";
export { configYaml } from "./config_yaml.ts";
export { deploymentReadme } from "./readme.ts";
export { deploymentSummary } from "./summary.ts";
export {
  writeDeployment,
  type WriteDeploymentOptions,
  writeFileAtomic,
  type WriteFileAtomicOptions,
  type WriteReport,
} from "./write.ts";
