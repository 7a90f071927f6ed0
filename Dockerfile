# syntax=docker/dockerfile:1
# One image for every persona-mesh component; the command picks the component:
#   python -m services.embeddings | services.abi | services.abbey | services.aviva | gateway
# (ENTRYPOINT is `python -m`, so the Helm chart and `docker run IMAGE services.abi` pass just the module.)
#
# Build: docker build -t persona-mesh:0.1.0 .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: dependencies from the lock file, generated protobuf code ----
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src
COPY requirements.lock ./
# Same step as `make install`: the lock file (the models are files under services/).
RUN pip install -r requirements.lock

# Same steps as `make protos`: generated code in its own directory on PYTHONPATH.
COPY protos/ protos/
RUN mkdir -p /opt/gen \
 && python -m grpc_tools.protoc -Iprotos --python_out=/opt/gen --grpc_python_out=/opt/gen \
      protos/personamesh/v1/*.proto \
 && touch /opt/gen/personamesh/__init__.py /opt/gen/personamesh/v1/__init__.py

# ---- corpus: the documentation Aviva and Abbey answer from, ingested now (the runtime root is read-only) ----
# Python 3.11's docs (python3.11-doc) and the man pages of git and the everyday tools, parsed and embedded into a
# data dir exactly as `make run` does; the runtime copies it, and an index on a new volume starts from it
# (PM_CORPUS_SEED_DIR, services/embeddings/corpus/prebuilt.py). The slim base drops man pages and /usr/share/doc,
# so that exclusion is lifted and the tools already installed are reinstalled with their pages.
FROM build AS corpus

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN rm -f /etc/dpkg/dpkg.cfg.d/docker \
 && apt-get update \
 && apt-get install -y --no-install-recommends python3.11-doc git-man man-db openssh-client curl \
 && apt-get install -y --no-install-recommends --reinstall tar findutils grep sed mawk coreutils \
 && rm -rf /var/lib/apt/lists/*

COPY services/ services/
RUN PYTHONPATH=/src:/opt/gen python -m services.embeddings.corpus --data-dir /opt/pm-corpus

# ---- runtime: the virtualenv, generated code and sources; non-root ----
FROM ${PYTHON_IMAGE} AS runtime

# The component modules this image runs; the build fails if one of them is missing.
ARG COMPONENTS="services.embeddings services.abi services.abbey services.aviva gateway"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app:/opt/gen \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    PM_HOST=0.0.0.0 \
    PM_DATA_DIR=/data \
    PM_CORPUS_SEED_DIR=/opt/pm-corpus

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
 && mkdir -p /data \
 && chown 10001:10001 /data

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/gen /opt/gen
COPY --from=corpus /opt/pm-corpus /opt/pm-corpus
WORKDIR /app
COPY services/ services/
COPY gateway/ gateway/
# docs/*.md seed the default knowledge base (PM_DOCS_DIR, relative to the working directory).
COPY docs/ docs/

# Byte-compile now: the root filesystem is read-only at run time. Then prove every
# component's entry module resolves (python -m <module> would find its __main__).
RUN python -m compileall -q /app /opt/gen \
 && for module in $COMPONENTS; do \
      python -c "import importlib.util, sys; m = sys.argv[1]; sys.exit(0 if importlib.util.find_spec(m + '.__main__') else 'no entry point: ' + m)" "$module" || exit 1; \
    done

USER 10001:10001
VOLUME ["/data"]
# gateway HTTP and gRPC, abi, embeddings, abbey, aviva; metrics are on gRPC port + 1000.
EXPOSE 8080 50051 50052 50053 50061 50071

ENTRYPOINT ["python", "-m"]
CMD ["gateway"]
