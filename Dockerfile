# Production image: compiled JavaScript, production dependencies only, non-root, on the current
# Node.js LTS (26; the project also runs on 20, see package.json engines).
FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:26-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# No dependency install scripts, but our own patches (postgres.js queue fix, see BENCHMARKS.md).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npx --no-install patch-package \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/server.js"]
