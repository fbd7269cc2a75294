# The gateway (and, with another command, the mock departments) as one image.
#   docker build -t quanliantong-gateway .
#   docker run -e DATABASE_URL=… -e DEPT_<STEP>_URL=… -e DEPT_<STEP>_SECRET=… -e OPS_ADMIN_TOKEN=… \
#              -e IDENTITY_KEY=… -e SMS_URL=… -e SMS_SECRET=… -p 8080:8080 quanliantong-gateway   (it refuses to start without them)
# Configuration is environment variables only (gateway/config.ts configFromEnv). Production runs the
# compiled JavaScript of `npm run build` (dist/); test/build/production-build.test.ts starts the same
# build with plain node.

# ── build: every dependency (TypeScript), then dist/
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY contracts ./contracts
COPY services ./services
COPY gateway ./gateway
COPY mocks ./mocks
COPY scripts ./scripts
RUN npm run build

# ── dependencies: production only; better-sqlite3 may compile from source (needs python3, make, g++)
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ── runtime
FROM node:20-bookworm-slim
# NODE_OPTIONS: a V8 heap ceiling sized for the gateway (docs/operations.md "Memory"); without one V8
# sizes the heap from the host's memory, not the container's, and lets garbage pile up.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=256 \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# The embedded store's default file (used only when DATABASE_URL is unset).
RUN mkdir -p data && chown node:node data
USER node
EXPOSE 8080
# /ready: the store answers and the instance is not draining (SIGTERM makes it unready at once).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop): stop taking work, finish or release claimed work, exit 0 (gateway/server.ts).
STOPSIGNAL SIGTERM
CMD ["node", "dist/gateway/server.js"]
