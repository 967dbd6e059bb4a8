"""Keeping the graph in step with a Dataverse org: applying change pages, the sync state, the run."""
