"""Ports: the Protocols services depend on. Adapters implement them; the lifespan picks one."""

from ragmono.ports.breakers import BreakerControl
from ragmono.ports.cache import Cache, CacheStats
from ragmono.ports.embedder import Embedder
from ragmono.ports.generator import ChatMessage, Generator
from ragmono.ports.models import ModelCatalog, ModelInfo
from ragmono.ports.sparse_encoder import SparseEncoder
from ragmono.ports.vector_store import StoredChunk, VectorStore

__all__ = [
    "BreakerControl",
    "Cache",
    "CacheStats",
    "ChatMessage",
    "Embedder",
    "Generator",
    "ModelCatalog",
    "ModelInfo",
    "SparseEncoder",
    "StoredChunk",
    "VectorStore",
]
