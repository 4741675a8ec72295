# Multi-stage build: compile TypeScript (and generate the Prisma client) with dev
# dependencies, then ship only the compiled output and production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY dashboard ./dashboard
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Candle columns in memory backed by transparent huge pages: glibc marks its heap for THP
# (hugetlb=1) and serves allocations up to 32 MiB from that heap (mmap_threshold), so the
# first write to a cold batch's ≈ 220 MB of columns costs a fault per 2 MiB, not per 4 KiB
# (docs/performance.md, "fresh memory"); memory freed at the top of a heap is kept up to
# 256 MiB (trim_threshold), so the next runs reuse it instead of faulting it in again.
# Ignored where THP is off. npm start sets the same.
ENV NODE_ENV=production TZ=UTC GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=268435456
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
USER node
EXPOSE 4000
CMD ["node", "dist/main.js"]
