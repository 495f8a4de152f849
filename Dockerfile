# mqmon as a drop-in for SageMaker Model Monitor's model-quality analyzer image: started with the
# analyzer's environment (analysis_type, dataset_source, output_path, ...) it runs the baseline or
# monitoring job and leaves the same files. docs/container.md has the contract.
#   scripts/image            builds it (docker or podman)
#   docker run IMAGE         the container mode (mqmon container)
#   docker run IMAGE monitor --help   any other mqmon command

# Build: the project's own dependency script and release preset, installed under /opt/mqmon.
FROM debian:12-slim AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps \
 && cmake --preset release -DMQMON_BUILD_TESTS=OFF -DMQMON_BUILD_BENCH=OFF >/dev/null \
 && cmake --build --preset release \
 && cmake --install build/release --prefix /opt/mqmon

# Run: the shared libraries the binary needs (readelf -d: fmt, zlib, zstd, ISA-L, simdjson, OpenSSL's
# libcrypto, curl, pugixml), SQLite for schedules, and Debian's python3 for scripts.
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libfmt9 zlib1g libzstd1 libisal2 libsimdjson14 libssl3 libcurl4 libpugixml1v5 libsqlite3-0 \
      python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/mqmon /opt/mqmon
ENV PATH=/opt/mqmon/bin:$PATH
ENTRYPOINT ["/opt/mqmon/bin/mqmon"]
CMD ["container"]
