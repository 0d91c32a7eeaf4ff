# One image, one binary: `tds` runs api, ingest, workers or the operator tools; the api
# serves the web app from /usr/share/tds/web.
FROM node:22-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema.graphql /src/schema.graphql
COPY web/ ./
RUN npm run build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin tds

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/tds tds \
    && mkdir -p /var/lib/tds && chown tds /var/lib/tds
COPY --from=build /src/target/release/tds /usr/local/bin/tds
COPY --from=web /src/web/build /usr/share/tds/web
USER tds
ENV TDS_DATA_DIR=/var/lib/tds TDS_HTTP_ADDR=0.0.0.0:8080 TDS_WEB_DIR=/usr/share/tds/web
EXPOSE 8080
ENTRYPOINT ["tds"]
CMD ["serve"]
