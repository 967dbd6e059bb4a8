"""Everything that talks to Neo4j: the driver, the schema and the repository."""
