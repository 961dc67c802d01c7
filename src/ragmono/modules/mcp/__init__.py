"""MCP server at ``/mcp`` (streamable HTTP, the official SDK): tools ``list_collections``,
``search``, ``ask``, ``get_document`` and ``ingest_text`` over the same services and auth."""

from .endpoint import McpEndpoint
from .server import Caller, McpServices, build_mcp_server

__all__ = ["Caller", "McpEndpoint", "McpServices", "build_mcp_server"]
