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
    PM_DATA_DIR=/data

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
 && mkdir -p /data \
 && chown 10001:10001 /data

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/gen /opt/gen
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
