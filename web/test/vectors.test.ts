// The web client's cryptography against RFC 9180's and the Java code's vectors, in Node.js (the same checks run in
// Chromium in the end-to-end test).
import { it } from "vitest";
import { checks } from "./vectorChecks";

for (const { name, run } of checks) {
  it(name, run);
}
