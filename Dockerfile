# syntax=docker/dockerfile:1
#
# chipgraph: one static binary with the curated data embedded.
#   docker build -t chipgraph .
#   docker run -p 8080:8080 chipgraph                      # in-memory store
#   docker run -p 8080:8080 -e CHIPGRAPH_DB=bolt:/var/lib/chipgraph/graph.db \
#     -v chipgraph:/var/lib/chipgraph chipgraph

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/chipgraph . \
 && mkdir -p /out/var/lib/chipgraph

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chipgraph /usr/local/bin/chipgraph
# A writable place for a bolt store, owned by the nonroot user (65532).
COPY --from=build --chown=65532:65532 /out/var/lib/chipgraph /var/lib/chipgraph
USER 65532:65532
ENV CHIPGRAPH_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/chipgraph", "health", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["/usr/local/bin/chipgraph"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
