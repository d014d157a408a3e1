/**
 * Prints, as JSON, the state Deno gives each permission descriptor passed as a JSON argument,
 * under whatever flags this script is run with. Asks Deno only: it opens nothing.
 *
 * @module
 */

const descriptors = JSON.parse(Deno.args[0] ?? "[]") as Deno.PermissionDescriptor[];
const states: string[] = [];
for (const descriptor of descriptors) {
  states.push((await Deno.permissions.query(descriptor)).state);
}
// deno-lint-ignore no-console -- the probe's answer
console.log(JSON.stringify(states));
