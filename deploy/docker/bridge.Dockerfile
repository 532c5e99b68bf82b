# bridge: follows the CRM and ERP feeds and applies each change to the other side.
# A static binary (CGO_ENABLED=0) on distroless, running as the image's
# non-root user 65532; there is no shell in the image.
#
# The build context is the repository root, a Go workspace, so the binary is
# built with the same module versions as `make build` and the tests:
#
#   docker build -f deploy/docker/bridge.Dockerfile \
#     --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) \
#     -t ghcr.io/seamhq/bridge:v0.1.0 .
#
# (`make images`, from deploy/images.mk, does this for all three services.)

FROM golang:1.26.8-bookworm AS build
ARG VERSION=dev
ARG COMMIT=unknown
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath \
      -ldflags "-s -w -X github.com/seamhq/seam/platform/buildinfo.Version=${VERSION} -X github.com/seamhq/seam/platform/buildinfo.Commit=${COMMIT}" \
      -o /out/bridge ./bridge/cmd/bridge
RUN /out/bridge --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bridge /usr/local/bin/bridge
USER 65532:65532
# gRPC, then HTTP (REST gateway, /healthz, /readyz, /metrics).
EXPOSE 9083 8083
ENTRYPOINT ["/usr/local/bin/bridge"]
CMD ["serve"]
