# The policy engine daemon, after the deployment guide's Dockerfile, for Node.js 20.
# docs/daemon.md#docker describes it.
#
#   docker build -t llm-policy-engine .
#   docker run --rm -p 50051:50051 -p 8080:8080 -p 9090:9090 \
#     -v "$PWD/examples/policies:/var/lib/policy-engine/policies:ro" llm-policy-engine

# Stage 1: build dist/ (the TypeScript compiler is a development dependency).
FROM node:20-bookworm-slim AS builder

WORKDIR /build

# Dependencies first, so that a change in src/ reuses this layer.
# --ignore-scripts: the package's `prepare` would build before src/ is here.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Stage 2: runtime, production dependencies only.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /opt/policy-engine

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# What the daemon reads at run time: the code, the command, the gRPC API's .proto,
# the policy JSON Schema, the pricing table (and package.json, for the version).
COPY --from=builder /build/dist ./dist
COPY bin ./bin
COPY proto ./proto
COPY schema ./schema
COPY data ./data

# /bin/policy-engine as in the guide; an empty configuration file (every default:
# gRPC 0.0.0.0:50051, REST 0.0.0.0:8080, metrics 9090, policies from
# /var/lib/policy-engine/policies) that a mounted one replaces.
RUN ln -s /opt/policy-engine/bin/policy-engine.js /bin/policy-engine \
    && mkdir -p /etc/policy-engine /var/lib/policy-engine/policies /var/log/policy-engine \
    && printf '# Every key at its default: docs/configuration.md. Mount your own file here.\n' > /etc/policy-engine/config.yaml \
    && chown -R node:node /etc/policy-engine /var/lib/policy-engine /var/log/policy-engine

# Non-root: the image's `node` user (uid 1000, as the guide's runAsUser).
USER node

EXPOSE 50051 8080 9090

# Ready (policies loaded) on the REST port; see docs/daemon.md for TLS and other ports.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/bin/policy-engine", "health", "--url", "http://localhost:8080"]

ENTRYPOINT ["/bin/policy-engine"]
CMD ["daemon", "--config", "/etc/policy-engine/config.yaml"]
