# pyredisai: the Redis-protocol model server with every backend extra (torch CPU, TF, TFLite,
# ONNX). Debian's Python; the package lives in a venv built in a throw-away stage, so the
# final image carries no pip cache, sources or build tools. The request path is compiled
# with mypyc (PYREDISAI_USE_MYPYC=1, see setup.py): only the build stage has a compiler.
#
#   docker build -t pyredisai .
#   docker run -p 6379:6379 -v pyredisai-data:/data pyredisai
#   docker run pyredisai pyredisai-server --bind 0.0.0.0 --port 7000 --loglevel verbose
#
# Build args PIP_CERT, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS reach pip (as
# its PIP_* environment) only when set; torch must resolve to the 2.13.0 CPU wheel, e.g.
# from a find-links folder holding torch-2.13.0+cpu, or an extra index serving CPU wheels.

FROM debian:bookworm-slim AS runtime-base
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log

FROM runtime-base AS build
ARG PIP_CERT=""
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_FIND_LINKS=""
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-venv python3-dev gcc libc6-dev \
    ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
# Empty build args are unset so pip never sees e.g. PIP_CERT="" or PIP_INDEX_URL="". The
# C++ headers of torch and TensorFlow only serve extension builds (the final image has no
# compiler): dropping them saves about 350 MB. The last two lines prove the CPU torch
# pin, that every backend imports and that the server module is the compiled one.
RUN set -eu; \
    for v in PIP_CERT PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS; do \
      eval "val=\${$v:-}"; if [ -z "$val" ]; then unset "$v"; else export "$v"; fi; \
    done; \
    python3 -m venv /opt/pyredisai; \
    PYREDISAI_USE_MYPYC=1 /opt/pyredisai/bin/pip install --no-cache-dir \
      --disable-pip-version-check "/src[all]"; \
    rm -rf /opt/pyredisai/lib/python3*/site-packages/torch/include \
           /opt/pyredisai/lib/python3*/site-packages/tensorflow/include; \
    /opt/pyredisai/bin/python -c "import torch; assert torch.__version__.startswith('2.13.0') and torch.version.cuda is None, torch.__version__"; \
    /opt/pyredisai/bin/python -c "import tensorflow, onnxruntime, ai_edge_litert.interpreter"; \
    /opt/pyredisai/bin/python -c "import pyredisai.server as s; assert s.BUILD == 'mypyc', s.__file__"

FROM runtime-base
LABEL org.opencontainers.image.title="pyredisai" \
      org.opencontainers.image.description="Redis-protocol server with RedisAI's AI.* commands"
RUN groupadd --system --gid 999 pyredisai \
 && useradd --system --uid 999 --gid pyredisai --home-dir /data --shell /usr/sbin/nologin pyredisai \
 && mkdir /data && chown pyredisai:pyredisai /data
COPY --from=build /opt/pyredisai /opt/pyredisai
ENV PATH=/opt/pyredisai/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
VOLUME /data
WORKDIR /data
USER pyredisai
EXPOSE 6379
CMD ["pyredisai-server", "--bind", "0.0.0.0"]
