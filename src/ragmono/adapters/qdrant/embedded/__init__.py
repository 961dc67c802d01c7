"""The embedded vector store: qdrant-edge in a supervised worker process, index builds beside it."""
