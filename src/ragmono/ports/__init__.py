"""Ports: the Protocols services depend on. Adapters implement them; the lifespan picks one."""

from ragmono.ports.embedder import Embedder
from ragmono.ports.generator import ChatMessage, Generator
from ragmono.ports.idempotency_store import IdempotencyStore
from ragmono.ports.job_store import JobStore
from ragmono.ports.sparse_encoder import SparseEncoder
from ragmono.ports.vector_store import StoredChunk, VectorStore

__all__ = [
    "ChatMessage",
    "Embedder",
    "Generator",
    "IdempotencyStore",
    "JobStore",
    "SparseEncoder",
    "StoredChunk",
    "VectorStore",
]
