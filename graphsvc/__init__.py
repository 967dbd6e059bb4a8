"""graphsvc: CRM connections (Dynamics-style) kept as pairs of role-labelled edges in Neo4j."""

__version__ = "0.1.0"
