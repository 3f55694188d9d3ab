/**
 * The container image's command (Dockerfile), compiled to dist/start.mjs: `npm start` without its build step, since
 * the image was built ahead. It checks the environment as `npm start` does (the embedded database's directory must
 * be private; with it and no AUTH_SECRET, one is generated once into the data volume), then runs the compiled
 * server entry, which migrates and creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD as it starts.
 */
import { fileURLToPath } from "node:url";
import { prepareEnvironment, runServerEntry } from "./launch";

prepareEnvironment();
// dist/server.mjs, beside this file once compiled (scripts/docker-bundle.ts).
runServerEntry([fileURLToPath(new URL("server.mjs", import.meta.url))]);
