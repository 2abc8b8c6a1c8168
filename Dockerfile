# syntax=docker/dockerfile:1
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t keypool .
#   docker run -d -p 8080:8080 -v keypool-data:/data keypool

# The Go image must be at least the go line of go.mod (the official images set
# GOTOOLCHAIN=local, so an older one fails instead of downloading).
ARG GO_VERSION=1.26

# --- build: a static binary (pure-Go SQLite, no cgo) -------------------------
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src

COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/keypool .

# The data folder, owned by distroless's nonroot user (65532), so that a new
# named volume mounted on /data starts with that owner.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0750 /out/data

# --- run ---------------------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/keypool /keypool
COPY --from=build --chown=65532:65532 /out/data /data

ENV DATA_DIR=/data \
    LISTEN_ADDR=:8080
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot

# distroless has no shell, curl or wget: the binary checks its own /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/keypool", "healthcheck"]

ENTRYPOINT ["/keypool"]
CMD ["serve"]
