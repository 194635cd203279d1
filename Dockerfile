# fiches in a container: Debian's Chromium headless shell, Pango and fonts, and the locked wheel.
#   docker build -t fiches .
#   docker run --rm -v "$PWD/out:/out" fiches build 12 --source sample --out /out
# SOURCE_DATE_EPOCH passes through (docker run -e SOURCE_DATE_EPOCH=...), for reproducible bytes.

FROM python:3.11-slim-bookworm AS builder
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir build \
 && python -m build --wheel --outdir /dist

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      chromium-headless-shell libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils \
 && rm -rf /var/lib/apt/lists/*
COPY requirements/runtime.txt /tmp/runtime.txt
COPY --from=builder /dist/ /tmp/dist/
RUN pip install --no-cache-dir --require-hashes -r /tmp/runtime.txt \
 && pip install --no-cache-dir --no-deps /tmp/dist/*.whl \
 && rm -rf /tmp/dist /tmp/runtime.txt
RUN useradd --create-home --uid 1000 fiches && mkdir -p /out /data && chown fiches:fiches /out /data
USER fiches
ENV BROWSER_PATH=/usr/bin/chromium-headless-shell \
    FICHES_DATA_DIR=/data
WORKDIR /out
VOLUME ["/out", "/data"]
ENTRYPOINT ["fiches"]
CMD ["--help"]
