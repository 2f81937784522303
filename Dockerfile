# One image for every LogFlow role: `logflow server`, `logflow worker`, `logflow ship`, `logflow search`.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Scripts run later: prepare bundles the CLI, which needs the sources.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts
COPY cli ./cli
COPY server ./server
COPY shared ./shared
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
RUN node scripts/build.mjs
RUN ln -s /app/cli/logflow /usr/local/bin/logflow && mkdir -p /data/logs && chown node /data/logs
USER node
ENV LOGFLOW_HOST=0.0.0.0 LOGFLOW_FILE_DIR=/data/logs
EXPOSE 8080
ENTRYPOINT ["logflow"]
CMD ["up"]
