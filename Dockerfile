# The ticketbridge image. The build stage compiles the TypeScript and better-sqlite3's native addon;
# the runtime stage holds only dist/, production node_modules and config/, and runs as a non-root user.
#   docker build -t ticketbridge .            (scripts/verify-image.sh builds it with podman)
# NODE_IMAGE is any Debian-based Node LTS image with node, npm and Node's headers under one prefix.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3's install script first tries to download a prebuilt addon from GitHub. Building it
# from source instead needs nothing beyond the npm registry: node-gyp compiles against the headers
# that ship with Node (nodedir) rather than fetching them, so the build also works behind a proxy
# that only lets the registry through. (npm 11 warns that it does not know build-from-source: the
# variable is for prebuild-install, which reads it from the environment.)
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_build_from_source=true \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's prepare step links the checkout's own `ticketbridge` into node_modules/.bin.
COPY scripts/link-bin.js ./scripts/
RUN npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")" npm ci \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"
COPY tsconfig.json ./
COPY src ./src
# Pruning here keeps the addon compiled above, so the runtime stage needs no compiler.
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# A fixed uid/gid (10001) so Kubernetes can run it with runAsNonRoot and runAsUser (deploy/).
RUN groupadd --system --gid 10001 ticketbridge \
 && useradd --system --uid 10001 --gid ticketbridge --home-dir /var/lib/ticketbridge --shell /usr/sbin/nologin ticketbridge \
 && mkdir -p /etc/ticketbridge /var/lib/ticketbridge \
 && chown ticketbridge:ticketbridge /var/lib/ticketbridge \
 && chmod 0750 /var/lib/ticketbridge
COPY --from=build /app/package.json /app/
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/dist /app/dist
COPY config /app/config
# The working directory is the ledger volume, so a relative ledger path in the config (the default
# is ./ticketbridge.sqlite) lands on the volume rather than in the read-only application tree.
WORKDIR /var/lib/ticketbridge
VOLUME ["/var/lib/ticketbridge"]
USER ticketbridge
# The config must set server.host: 0.0.0.0 (and so a server.token) for the port to be reachable.
EXPOSE 8080
# Slim images have no curl; Node's fetch does the probe. Assumes server.port is 8080.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The first SIGTERM drains in-flight syncs and stops; a second one forces the exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["run", "--config", "/etc/ticketbridge/config.yaml"]
