"""The fast path for a first load into an empty database: `neo4j-admin database import full`.

The loader's input files (roles, records, connections; CSV, JSON Lines or Dataverse) are checked
row by row exactly as the online loader checks them (`validate.py`, `roles.py`,
`connections.py`, over the compact indexes of `tables.py`; the models checked in a forked
`helper.py` process), written as neo4j-admin CSVs in a temporary directory as they stream past
(`write.py`), and imported by Neo4j's own import tool while the server is stopped
(`run.py`, which also starts the server, applies the schema and writes the roles). What the
online loader would reject goes to the same rejects files with the same reasons, and stops the
import before neo4j-admin runs. A repeated record or connection id is an error (the online loader
would update; the constraints are created after the import).
"""

from graphsvc.offline_import.run import run_import
from graphsvc.offline_import.summary import ImportSummary, OfflineImportError

__all__ = ["ImportSummary", "OfflineImportError", "run_import"]
