/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// In dev and preview, /api goes to the local function (functions-framework),
// as Firebase Hosting's rewrite does in production. Override the target with
// SCREEN_GENIUS_API_URL, e.g. SCREEN_GENIUS_API_URL=http://127.0.0.1:9090.
const apiTarget = process.env.SCREEN_GENIUS_API_URL ?? "http://127.0.0.1:8080";
const proxy = { "/api": { target: apiTarget, changeOrigin: true } };

export default defineConfig({
  plugins: [react()],
  server: { host: "127.0.0.1", proxy },
  preview: { host: "127.0.0.1", proxy },
  build: { sourcemap: false },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test-setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
