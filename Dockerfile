# The API image for docker-compose.yml (Neo4j itself comes from the official neo4j image).
FROM python:3.11-slim
WORKDIR /app
# The runtime dependencies exactly as locked (`make lock`), hashes checked; then graphsvc alone.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
# Built into the package (graphsvc/queries/), where the installed service finds it.
COPY cypher ./cypher
# graphsvc's Neo4j procedures' sources ship in the package too (the jar is built by compose's
# `procedures` service, not here).
COPY procedures/pom.xml ./procedures/pom.xml
COPY procedures/src ./procedures/src
RUN pip install --no-cache-dir --no-deps .
EXPOSE 8000
CMD ["graphsvc", "serve", "--host", "0.0.0.0", "--port", "8000"]
