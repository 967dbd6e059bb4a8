# The API image for docker-compose.yml (Neo4j itself comes from the official neo4j image).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
# Built into the package (graphsvc/queries/), where the installed service finds it.
COPY cypher ./cypher
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["graphsvc", "serve", "--host", "0.0.0.0", "--port", "8000"]
