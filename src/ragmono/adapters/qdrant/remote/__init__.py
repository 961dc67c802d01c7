"""Vector stores over qdrant-client: one Qdrant server, or a cluster of nodes with failover."""
