# One image, three entrypoints (gateway, worker, region-sim), plus the migrate job.
# Debian-based: the Temporal core bridge does not run on Alpine (musl).
# Node 24 LTS, the same exact tag in both stages. The tests run on this Node too
# (scripts/install-image-node.mjs reads the tag; test/deploy/image.spec.ts checks it against
# `engines` and the ESM-only packages the entrypoints require).

FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Compile, prebuild the workflow bundle (workers then skip bundling at start), drop dev dependencies.
RUN npm run build && npm run bundle:workflows && npm prune --omit=dev --no-audit --no-fund

FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production \
    SLUICE_MODE=production \
    SLUICE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/migrations ./migrations
# The image's unprivileged user; nothing in /app is writable by it.
USER node
EXPOSE 4000 4100 9464
# gateway by default; the worker: node dist/apps/worker/src/main.js;
# region-sim: node dist/apps/region-sim/src/main.js; migrations: node dist/scripts/migrate.js
CMD ["node", "dist/apps/gateway/src/main.js"]
