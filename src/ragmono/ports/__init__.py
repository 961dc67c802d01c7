"""Ports: the Protocols services depend on. Adapters implement them; the lifespan picks one."""

from ragmono.ports.breakers import BreakerControl
from ragmono.ports.embedder import Embedder
from ragmono.ports.generator import ChatMessage, Generator
from ragmono.ports.sparse_encoder import SparseEncoder
from ragmono.ports.vector_store import PausableVectorStore, StoredChunk, VectorStore

__all__ = [
    "BreakerControl",
    "ChatMessage",
    "Embedder",
    "Generator",
    "PausableVectorStore",
    "SparseEncoder",
    "StoredChunk",
    "VectorStore",
]
