# The Gatehouse image: compiled gateway, production dependencies, store migrations and the example contract,
# on node:24-bookworm-slim, running as the image's non-root node user (uid 1000).
#
#   docker build -t gatehouse .
#   docker run -v ./deploy:/etc/gatehouse:ro gatehouse                     # serves /etc/gatehouse/gatehouse.yaml
#   docker run -p 8080:8080 gatehouse demo --host 0.0.0.0                  # the embedded demo

# Build: every dependency (TypeScript is a dev dependency), then the compile.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed on their own so that nothing of the build reaches the final stage.
# No package needs an install script (PGlite is WebAssembly, pg and tedious are pure JavaScript). Type declarations,
# source maps and Markdown are never read at run time: dropping them takes about a third off node_modules. That includes
# the @types packages tedious lists among its dependencies.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete \
 && rm -rf node_modules/@types

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    GATEHOUSE_CONFIG=/etc/gatehouse/gatehouse.yaml
WORKDIR /app
# package.json marks the package root, where the gateway finds migrations/ and openapi/.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY migrations ./migrations
COPY openapi ./openapi
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 1000:1000
EXPOSE 8080
# Node is PID 1 and handles SIGTERM itself: the gateway drains in-flight requests (server.shutdownGraceMs) and
# exits. It starts no child processes, so no init is needed to reap them.
# The V8 flags keep the heap small under streaming exports: Node 22+ would grow the young generation to 64 MB per
# semi-space and let the old one double before collecting; rows of an export are garbage within milliseconds, so a
# smaller young generation and earlier full collections keep a million-row export under 150 MB (npm run bench --
# export runs the gateway with these same flags, read from this line).
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=20", "/app/dist/src/cli/index.js"]
CMD ["serve"]
