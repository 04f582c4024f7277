import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The bundle goes where Maven packs the web module's jar from: the server serves fastchat/web/ off its class path.
export default defineConfig({
  base: "/",
  resolve: {
    alias: { crypto: fileURLToPath(new URL("./src/node-crypto.ts", import.meta.url)) },
  },
  build: {
    outDir: "target/classes/fastchat/web",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
  },
  test: {
    include: ["test/**/*.test.ts"],
  },
});
