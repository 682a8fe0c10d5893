# One image for every tokenplane service: the workspace with its dependencies; each compose
# service runs `node --import tsx services/<name>/src/main.ts` with its flags.
FROM node:20-bookworm-slim
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0 NODE_ENV=production
WORKDIR /app
RUN corepack enable
# Dependencies first, so source edits do not re-install them.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/proto/package.json packages/proto/
COPY packages/crypto/package.json packages/crypto/
COPY packages/apimachinery/package.json packages/apimachinery/
COPY packages/runtime/package.json packages/runtime/
COPY packages/stack/package.json packages/stack/
COPY packages/testing/package.json packages/testing/
COPY services/apiserver/package.json services/apiserver/
COPY services/admission/package.json services/admission/
COPY services/token-controller/package.json services/token-controller/
COPY services/kubelet-sim/package.json services/kubelet-sim/
COPY services/oidc-discovery/package.json services/oidc-discovery/
COPY test/package.json test/
RUN pnpm install --frozen-lockfile
COPY . .
# The state directory (PKI, keys, data) is a volume shared by the services.
ENV TOKENPLANE_HOME=/var/lib/tokenplane
VOLUME /var/lib/tokenplane
