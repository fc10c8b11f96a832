# movierec's app image: the CLI with its dependencies. Neo4j runs in its own container
# (docker-compose.yml); this image never starts a database.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY movierec ./movierec
COPY ingest ./ingest
COPY gnn ./gnn
COPY cypher ./cypher
RUN pip install --no-cache-dir .
ENTRYPOINT ["movierec"]
CMD ["--help"]
