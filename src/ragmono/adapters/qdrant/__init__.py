"""Vector-store adapters on Qdrant: the embedded engine, one server, or a cluster."""
