# cdr-bridge: a small, non-root image. Build stage compiles the TypeScript; the runtime stage
# carries only production dependencies, the compiled code, the Lua scripts and the schema.
# Node is versions.env's NODE_VERSION, the one the tests run (test/deploy/versions.test.ts).
# Build it with scripts/build-image, which fills in the build arguments below from package.json
# and git; a plain `docker build .` gives the labels with revision and source "unknown".
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
# --ignore-scripts: the `node` devDependency's install script would fetch a second Node 24 (it
# is the project's own runtime outside containers); the base image's Node is the one used here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY schemas ./schemas
COPY scripts/build-info ./scripts/
ARG REVISION=unknown
# No .git in the build context: the revision comes in as a build argument.
RUN mkdir -p test bench && npx tsc -p tsconfig.json && CDR_BRIDGE_REVISION="$REVISION" bash scripts/build-info

FROM node:24.21.0-bookworm-slim
# OCI annotations (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
# VERSION's default is package.json's version (test/deploy/versions.test.ts keeps them equal).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="cdr-bridge" \
      org.opencontainers.image.description="Moves the Enigma dialler's CDRs from Redis into Kafka as Avro, exactly once" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY src/source/lua ./src/source/lua
COPY schemas ./schemas
COPY bin ./bin
USER node
EXPOSE 9464
ENV HTTP_HOST=0.0.0.0
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:'+(process.env.HTTP_PORT||9464)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
# bin/cdr-bridge starts Node with --use-system-ca (src/cli/node-flags.ts): TLS trusts this image's
# CA store (/etc/ssl/certs) as well as Node's bundled CAs. To trust a corporate CA, add it to the
# store in a derived image (e.g. COPY it to /usr/local/share/ca-certificates/ and RUN
# update-ca-certificates as root), or name it in REDIS_TLS_CA_FILE / KAFKA_SSL_CA_FILE /
# SCHEMA_REGISTRY_CA_FILE. Checked by test/image/image.test.ts.
ENTRYPOINT ["./bin/cdr-bridge"]
CMD ["run"]
