# Palisade's container image. docs/deployment.md#4-docker: building, running, and why it is built this way.
#
#   docker build -t palisade .
#   docker run -p 3000:3000 -v palisade-data:/app/data palisade                   # embedded PGlite in the volume
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e AUTH_SECRET=… palisade # PostgreSQL
#
# Every stage starts from BASE_IMAGE: an image with Node.js 20.19+ and npm, and a `node` user (uid 1000), as the
# official images have. scripts/docker-base.sh builds a stand-in for machines that reach no image registry.
ARG BASE_IMAGE=node:20-bookworm-slim

# What the server, the CLI and migrations load at run time: the production dependencies and nothing else. The
# native ones come with their prebuilt binaries for this platform (@node-rs/argon2, Next's SWC, which compiles
# next.config.ts as the server starts), and PGlite's WebAssembly and data files with its package.
FROM ${BASE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The production build, then the server entry, the container's start, the CLI and migrations compiled to plain
# JavaScript (scripts/docker-bundle.ts): Next's `output: "standalone"` would not trace the custom server entry,
# and tsx, which runs them from source elsewhere, is a development dependency.
FROM ${BASE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && node_modules/.bin/tsx scripts/docker-bundle.ts && rm -rf .next/cache

FROM ${BASE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false PORT=3000
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/.next ./.next
COPY --from=build /app/dist ./dist
# Next reads its configuration (next.config.ts and the one module it imports) as the server starts, and the server
# applies the migrations as it starts.
COPY package.json next.config.ts ./
COPY lib/security-headers.ts ./lib/
COPY db/migrations ./db/migrations
# The image's npm scripts run the compiled programs. The code stays root's: the server's user can write only to
# /app/data, the embedded database's home (private, as Palisade requires; a new named volume takes its owner and
# mode from it).
RUN npm pkg set --json scripts='{"start": "node dist/start.mjs", "cli": "node --conditions=react-server dist/cli.mjs", "db:migrate": "node --conditions=react-server dist/migrate.mjs"}' \
  && install -d -o node -g node -m 0700 /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/health`).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/start.mjs"]
