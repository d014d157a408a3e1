import assert from "node:assert/strict";
import { redactOnionAddresses } from "../../src/log/mod.ts";

const ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";

Deno.test("redactOnionAddresses() keeps the last three characters, as arti's HsId does", () => {
  assert.equal(redactOnionAddresses(`${ADDRESS}.onion`), "???sid.onion");
  assert.equal(redactOnionAddresses(`http://www.${ADDRESS}.onion/x`), "http://www.???sid.onion/x");
});

Deno.test("redactOnionAddresses() redacts addresses without .onion and in upper case", () => {
  assert.equal(redactOnionAddresses(`a ${ADDRESS} b`), "a ???sid b");
  assert.equal(redactOnionAddresses(ADDRESS.toUpperCase()), "???SID");
});

Deno.test("redactOnionAddresses() redacts every address in a message", () => {
  assert.equal(redactOnionAddresses(`${ADDRESS} and ${ADDRESS}.onion`), "???sid and ???sid.onion");
});

Deno.test("redactOnionAddresses() leaves shorter or longer base32 runs and hex alone", () => {
  const short = ADDRESS.slice(1);
  const long = `${ADDRESS}a`;
  const hex = "3A50BF210E8F9EE955AE0014F7A6917FB65EBF098A86305ABB508D1A7291B6D5";
  assert.equal(redactOnionAddresses(short), short);
  assert.equal(redactOnionAddresses(long), long);
  assert.equal(redactOnionAddresses(hex), hex);
});

Deno.test("redactOnionAddresses() keeps file paths whole, so the operator sees which file is meant", () => {
  const key = `/etc/onionbalance/run2/${ADDRESS}.key`;
  assert.equal(
    redactOnionAddresses(`Cannot read key file "${key}": No such file`),
    `Cannot read key file "${key}": No such file`,
  );
  assert.equal(redactOnionAddresses(`(${key})`), `(${key})`);
  assert.equal(redactOnionAddresses(`./${ADDRESS}.key missing`), `./${ADDRESS}.key missing`);
  assert.equal(
    redactOnionAddresses(`Loaded ${key} for ${ADDRESS}.onion`),
    `Loaded ${key} for ???sid.onion`,
  );
});

Deno.test("redactOnionAddresses() redacts addresses in URLs, which are not paths", () => {
  assert.equal(
    redactOnionAddresses(`GET "http://${ADDRESS}.onion/index.html"`),
    `GET "http://???sid.onion/index.html"`,
  );
});
