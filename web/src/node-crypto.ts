// hpke-js falls back to Node.js's "crypto" module where globalThis.crypto is missing; in a browser it never is. This
// stands in for that module in the bundle, so that nothing of Node.js is bundled (or warned about).
export const webcrypto = globalThis.crypto;
export default { webcrypto };
