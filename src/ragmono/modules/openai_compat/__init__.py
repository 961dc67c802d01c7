"""OpenAI-compatible face (``/v1``): models, chat completions with citations, embeddings.

A protocol translation over the collections, query and embedder services (the same answers
``/api/v1/query`` gives); errors in OpenAI's body so the SDKs raise their usual exceptions.
"""

from .controller import OpenAIController
from .conversation import is_follow_up, standalone_question
from .embeddings import EmbeddingLimits, count_tokens
from .errors import OPENAI_EXCEPTION_HANDLERS, ErrorBody, openai_error_for
from .service import OpenAICompatService

__all__ = [
    "OPENAI_EXCEPTION_HANDLERS",
    "EmbeddingLimits",
    "ErrorBody",
    "OpenAICompatService",
    "OpenAIController",
    "count_tokens",
    "is_follow_up",
    "openai_error_for",
    "standalone_question",
]
