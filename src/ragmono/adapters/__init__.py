"""Adapters: the only code that imports a vendor SDK. Each implements one port."""
